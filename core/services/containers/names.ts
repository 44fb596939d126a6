/**
 * Random container names in Docker's `adjective_name` style, for containers created without
 * `--name`. The word lists are keel's own (notable engineers and scientists).
 */
import { randomInt } from 'node:crypto';

const ADJECTIVES = [
  'agile', 'amber', 'bold', 'brave', 'bright', 'calm', 'clever', 'cosmic', 'crisp', 'daring', 'eager', 'fancy', 'fearless',
  'gentle', 'glad', 'happy', 'hardy', 'honest', 'humble', 'jolly', 'keen', 'kind', 'lively', 'lucid', 'merry', 'mighty',
  'modest', 'nimble', 'noble', 'patient', 'plucky', 'proud', 'quick', 'quiet', 'rapid', 'serene', 'sharp', 'shiny', 'silent',
  'sleek', 'smart', 'snappy', 'steady', 'sunny', 'swift', 'tender', 'tidy', 'upbeat', 'vivid', 'warm', 'wise', 'witty', 'zealous',
];
const NAMES = [
  'allen', 'babbage', 'backus', 'bardeen', 'bartik', 'berners', 'boole', 'brattain', 'cerf', 'clarke', 'codd', 'conway', 'corbato',
  'cray', 'dijkstra', 'easley', 'engelbart', 'floyd', 'goldberg', 'hamming', 'hamilton', 'hoare', 'hollerith', 'hopper', 'johnson',
  'kahn', 'kay', 'kernighan', 'knuth', 'lamport', 'lamarr', 'liskov', 'lovelace', 'mccarthy', 'meitner', 'minsky', 'moore',
  'neumann', 'noether', 'noyce', 'perlman', 'ritchie', 'shannon', 'shockley', 'stallman', 'sutherland', 'tarjan', 'thompson',
  'torvalds', 'turing', 'wilkes', 'wing', 'wirth', 'wozniak', 'zuse',
];

/** A random name; `taken` is consulted to avoid a collision (a digit is appended after a few tries). */
export function randomName(taken: (name: string) => boolean): string {
  for (let attempt = 0; ; attempt++) {
    let name = `${ADJECTIVES[randomInt(ADJECTIVES.length)]}_${NAMES[randomInt(NAMES.length)]}`;
    if (attempt >= 3) name += randomInt(10);
    if (!taken(name)) return name;
  }
}
