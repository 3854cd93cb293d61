// Per-student variants of a lab. A lab file declares variables with domains (a VNI, a pod
// CIDR, a Service IP, a NodePort...) and writes `{{name}}` wherever a value appears: the
// lesson, the setup, the checks, the hints and the solutions. A seed (a class server uses
// `${classId}:${studentId}`) picks each value deterministically, on the page and on the
// server alike, so one student's answer does not fit another's lab. The domains, the
// picking and the filters are in template.ts; "Variables" in the README is the author's guide.
import { parseLab } from './parse.js';
import { valuesOf } from './template.js';
import type { Lab } from './types.js';

/** Each variable's value for the seed; the defaults when there is no seed. */
export function labValues(lab: Lab, seed?: string): Record<string, string> {
  if (seed === lab.seed) return { ...lab.values };
  return valuesOf(lab.variables, seed);
}

/**
 * The lab with every `{{name}}` filled in with the seed's values (every text: lesson, setup,
 * checks, hints, solutions, translations). Without a seed, the lab with its defaults. A lab
 * without variables is the same for every seed, and comes back as it is.
 */
export function instantiateLab(lab: Lab, seed?: string): Lab {
  if (seed === lab.seed || (lab.variables.length === 0 && lab.seed === undefined)) return lab;
  const instance = parseLab(lab.source, lab.files.text, lab.files.locales, seed === undefined ? {} : { seed });
  // A lab stored apart under another id (an external lab, src/ui/labs.ts) keeps that id.
  return { ...instance, id: lab.id };
}
