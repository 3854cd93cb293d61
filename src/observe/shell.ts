/** A word for a guest's shell: single-quoted, so nothing in it is expanded. */
export const shellQuote = (text: string) => `'${text.replaceAll("'", "'\\''")}'`;

/** A command run in a pod's network namespace, or in the node's own without one. */
export const inNetns = (netns: string | undefined, command: string) => (netns ? `ip netns exec ${shellQuote(netns)} ${command}` : command);
