#!/usr/bin/env node
/**
 * keeld: the keel daemon. Parses dockerd-style flags, loads daemon.json, starts the default build
 * and serves the Docker API until SIGTERM/SIGINT; SIGHUP reloads what Docker reloads.
 */
import path from 'node:path';
import { EngineError } from '@keel/sdk';
import { defaultBuild } from '../core/builds/default.js';
import { readBuildInfo } from '../core/kernel/build-info.js';
import { DaemonConfig, loadDaemonConfig } from '../core/kernel/config.js';
import { startEngine, type RunningEngine } from '../core/kernel/engine.js';
import { createDaemonLogger } from '../core/kernel/logger.js';
import { parseDaemonArgs } from './daemon/flags.js';
import { claimPidFile } from './daemon/pidfile.js';

function fail(message: string): never {
  process.stderr.write(`keeld: ${message}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  const info = readBuildInfo();
  let args;
  try {
    args = parseDaemonArgs(process.argv.slice(2), info.version);
  } catch (err) {
    const e = err as { code?: string; exitCode?: number; message: string };
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') process.exit(0);
    if (e.code?.startsWith('commander.')) process.exit(e.exitCode ?? 1);
    fail(e.message);
  }
  const sources = { flags: args.flags, configFile: args.configFile, configFileExplicit: args.configFileExplicit };
  const config = new DaemonConfig(await loadDaemonConfig(sources).catch((err: Error) => fail(err.message)), sources);
  if (args.validateOnly) {
    process.stdout.write('configuration OK\n');
    return;
  }
  const level = () => (config.get<boolean>('debug') ? 'debug' : config.get<string>('log-level')!);
  const format = (process.env.KEEL_LOG_FORMAT as 'json' | 'pretty' | undefined) ?? 'auto';
  const { logger, setLevel } = createDaemonLogger(level(), format);
  const pidFile = config.get<string>('pidfile') ?? path.join(config.get<string>('exec-root')!, 'keeld.pid');
  const releasePid = await claimPidFile(pidFile).catch((err: Error) => fail(err.message));

  let engine: RunningEngine;
  try {
    engine = await startEngine(defaultBuild, config, logger);
  } catch (err) {
    await releasePid();
    fail(EngineError.is(err) ? err.message : (err as Error).stack ?? String(err));
  }
  logger.info({ version: info.version, hosts: engine.server.addresses() }, `keeld ${info.version} started (API 1.47)`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) {
      logger.warn(`received ${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    logger.info(`received ${signal}: shutting down`);
    await engine.stop();
    await releasePid();
    logger.info('keeld stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGHUP', () => {
    engine
      .reload()
      .then((changed) => {
        setLevel(level());
        logger.info({ changed }, changed.length ? `configuration reloaded: ${changed.join(', ')}` : 'configuration reloaded: nothing changed');
      })
      .catch((err: Error) => logger.error(`configuration not reloaded, keeping the old one: ${err.message}`));
  });
}

void main();
