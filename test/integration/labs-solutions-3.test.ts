// Solution bots for one third of labs/ (labs-solutions-1, -2 and -3 share them out, so that
// two test workers stay busy: one file holding every new lab was the longest of the run).
import { describe } from 'vitest';
import { loadLabs } from '../../src/lab/load.js';
import { solutionBots } from './lab-bots.js';

const labs = loadLabs();
const third = Math.ceil(labs.length / 3);
describe('solution bots, part 3 of 3', () => solutionBots(labs.slice(2 * third, 3 * third)));
