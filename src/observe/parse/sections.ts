// Splits the facts script's output into its sections. Each section is
//   @@podwire:begin:<name>:<netns>@@
//   ...what the command printed...
//   @@podwire:end:<name>:<netns>:<exit code>@@
//   ...what it wrote on stderr, up to the next begin marker...
// The script prints a newline before every end marker, so output that did not
// end with one still puts the marker on a line of its own. Stderr is printed as
// it came, so a begin marker may follow it on the same line.

export interface Section {
  name: string;
  /** '' for the node's own namespace. */
  netns: string;
  stdout: string;
  stderr: string;
  /** null when the end marker never came (the output was cut short). */
  exitCode: number | null;
}

const BEGIN_TAG = '@@podwire:begin:';
const BEGIN = /^@@podwire:begin:([a-z0-9-]+):(.*)@@$/;
const END = /^@@podwire:end:([a-z0-9-]+):(.*):(-?\d+)@@$/;

export function splitSections(raw: string): Section[] {
  const sections: Section[] = [];
  let current: Section | null = null;
  let body: string[] = [];
  let inStderr = false;
  const close = () => {
    if (!current) return;
    if (inStderr) current.stderr = body.join('\n').replace(/\n+$/, '');
    else current.stdout = body.join('\n');
    sections.push(current);
  };
  for (let line of raw.split('\n')) {
    const at = line.indexOf(BEGIN_TAG);
    if (at > 0) {
      if (current) body.push(line.slice(0, at));
      line = line.slice(at);
    }
    const begin = BEGIN.exec(line);
    if (begin) {
      close();
      current = { name: begin[1]!, netns: begin[2]!, stdout: '', stderr: '', exitCode: null };
      body = [];
      inStderr = false;
      continue;
    }
    const end = END.exec(line);
    if (end && current && !inStderr && end[1] === current.name && end[2] === current.netns) {
      current.stdout = body.join('\n');
      current.exitCode = Number(end[3]);
      body = [];
      inStderr = true;
      continue;
    }
    if (current) body.push(line);
  }
  if (current && !inStderr) {
    // Cut short: keep what arrived.
    current.stdout = body.join('\n');
    sections.push(current);
  } else {
    close();
  }
  return sections;
}

/** "ip(pod1)" or "iptables": how errors name a section. */
export function sectionLabel(section: { name: string; netns: string }): string {
  return section.netns ? `${section.name}(${section.netns})` : section.name;
}
