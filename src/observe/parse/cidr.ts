// Addresses and prefixes live in the one address module; facts and checks reach them here.
export { ipInCidr, parseIp } from '../../net/addr.js';
