// A student's own variant of a lab: the class gives a seed, and the lab's variables take
// the values that seed picks (src/lab/variables.ts), before the session starts, so the
// lesson, setup, checks and hints the page shows are the ones the server grades against.
// A build whose lab format has no variables yet (the module is absent) runs the lab as written.
import type { Lab } from '../../lab/types.js';

type Instantiate = (lab: Lab, seed?: string) => Lab;
const variables = import.meta.glob<{ instantiateLab?: Instantiate }>('../../lab/variables.ts', { eager: true });
const instantiate = Object.values(variables)[0]?.instantiateLab;

export function labForSeed(lab: Lab, seed: string | undefined): Lab {
  return seed && instantiate ? instantiate(lab, seed) : lab;
}
