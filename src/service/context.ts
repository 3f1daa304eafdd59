import type { Config } from '../config/types';
import type { Clock } from '../domain/clock';
import type { CallbackStore } from '../domain/store';
import type { Callbacks } from '../engine/callbacks';

/**
 * What every use case works with: the store to read, the lifecycle to change callbacks through
 * (its feed tells subscribers what was committed), the configuration and the clock.
 */
export interface ServiceContext {
  store: CallbackStore;
  callbacks: Callbacks;
  config: Config;
  clock: Clock;
}
