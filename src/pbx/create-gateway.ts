import type { Logger } from 'winston';
import { AriGateway } from '../asterisk/ari-gateway';
import type { Config } from '../config/types';
import { ConfigError } from '../domain/errors';
import { systemClock, type Clock } from '../domain/clock';
import type { PbxGateway } from './gateway';

/** The gateway the configuration asks for; null when the daemon runs without a PBX. */
export function createGateway(config: Config, logger: Logger, clock: Clock = systemClock): PbxGateway | null {
  switch (config.pbx) {
    case 'asterisk':
      return new AriGateway({
        ari: config.ari,
        prompts: config.ivr.prompts,
        formVariables: config.ari.formVariables,
        logger,
        clock,
        // A customer who answered a customer-first callback gets as long to press 1 as an IVR caller.
        timing: { confirmDigitMs: config.ivr.firstDigitSeconds * 1000 },
      });
    case 'freeswitch':
      throw new ConfigError('pbx', 'freeswitch is not supported by this version yet; use asterisk or none');
    case 'none':
      return null;
  }
}
