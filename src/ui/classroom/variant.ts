// A student's own variant of a lab: the class gives a seed, and the lab's variables take
// the values that seed picks, before the session starts, so the lesson, setup, checks and
// hints the page shows are the ones the server grades against.
import { instantiateLab } from '../../lab/variables.js';
import type { Lab } from '../../lab/types.js';

export function labForSeed(lab: Lab, seed: string | undefined): Lab {
  return seed ? instantiateLab(lab, seed) : lab;
}
