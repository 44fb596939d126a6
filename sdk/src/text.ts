/**
 * Text helpers shared by services and plugins.
 * @packageDocumentation
 */

/**
 * Orders strings by UTF-16 code units, as Go's `sort.Strings` orders ASCII names: the same on
 * every host whatever its locale, and without `localeCompare`, whose first call maps ICU's
 * collation data (about 3 MB of a daemon's resident memory).
 */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
