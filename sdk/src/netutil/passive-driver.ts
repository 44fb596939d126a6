/**
 * A network driver that plumbs nothing, for drivers whose whole behaviour is a capability
 * (host: no namespace; none: a namespace with only `lo`, made by the network service).
 */
import type { NetworkCapabilities, NetworkDriver } from '../drivers/network.js';
import { InvalidArgumentError } from '../errors.js';

/** Every call succeeds and changes nothing; options are refused. */
export class PassiveNetworkDriver implements NetworkDriver {
  /** @param name the driver's name, for the error about options. */
  constructor(readonly capabilities: NetworkCapabilities, private readonly name: string) {}

  async validateOptions(options: Readonly<Record<string, string>>): Promise<void> {
    if (Object.keys(options).length) throw new InvalidArgumentError(`the ${this.name} driver takes no options`);
  }
  async createNetwork() { return {}; }
  async deleteNetwork() {}
  async createEndpoint() { return {}; }
  async deleteEndpoint() {}
  async join() { return {}; }
  async leave() {}
}
