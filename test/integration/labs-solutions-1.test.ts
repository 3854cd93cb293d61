// Solution bots for the first half of labs/ (the other half is in labs-solutions-2, so the two run side by side).
import { describe } from 'vitest';
import { loadLabs } from '../../src/lab/load.js';
import { solutionBots } from './lab-bots.js';

const labs = loadLabs();
describe('solution bots, first half', () => solutionBots(labs.slice(0, Math.ceil(labs.length / 2))));
