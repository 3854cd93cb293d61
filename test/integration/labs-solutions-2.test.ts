// Solution bots for the second half of labs/ (the first half is in labs-solutions-1).
import { describe } from 'vitest';
import { loadLabs } from '../../src/lab/load.js';
import { solutionBots } from './lab-bots.js';

const labs = loadLabs();
describe('solution bots, second half', () => solutionBots(labs.slice(Math.ceil(labs.length / 2))));
