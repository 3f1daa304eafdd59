import type { AriEvent } from './types';

/** One WebSocket as the event router sees it. */
export interface EventSocket {
  readonly id: number;
  send(text: string): void;
}

/** Which event sources an event belongs to (Stasis topics). */
export interface Topics {
  channels?: string[];
  bridges?: string[];
  /** StasisStart/StasisEnd and ApplicationReplaced go to one application only, not through topics. */
  onlyApp?: string;
}

/**
 * A Stasis application: registered by a WebSocket, it keeps its subscriptions while no socket is
 * connected (Asterisk deactivates the app but keeps it, so events resume after a reconnect).
 */
export class AppState {
  socket: EventSocket | null = null;
  subscribeAll = false;
  /** Reference counts: Stasis membership, originate and explicit subscriptions each hold one. */
  readonly channels = new Map<string, number>();
  readonly bridges = new Map<string, number>();

  constructor(readonly name: string) {}

  get active(): boolean {
    return this.socket !== null;
  }

  toJson(): Record<string, unknown> {
    return {
      name: this.name,
      channel_ids: [...this.channels.keys()],
      bridge_ids: [...this.bridges.keys()],
      endpoint_ids: [],
      device_names: [],
      events_allowed: [],
      events_disallowed: [],
    };
  }
}

export class AppRegistry {
  private readonly apps = new Map<string, AppState>();

  constructor(
    private readonly asteriskId: string,
    private readonly observe: (event: AriEvent, deliveredTo: string[]) => void,
  ) {}

  get(name: string): AppState | undefined {
    return this.apps.get(name);
  }

  isActive(name: string): boolean {
    return this.apps.get(name)?.active ?? false;
  }

  list(): AppState[] {
    return [...this.apps.values()];
  }

  /** A WebSocket registers its applications; an app already held by another socket moves to this one. */
  connect(socket: EventSocket, names: string[], subscribeAll: boolean, timestamp: string): void {
    for (const name of names) {
      let app = this.apps.get(name);
      if (!app) {
        app = new AppState(name);
        this.apps.set(name, app);
      }
      const previous = app.socket;
      if (previous && previous !== socket) {
        const replaced = { type: 'ApplicationReplaced', timestamp, application: name };
        previous.send(JSON.stringify({ ...replaced, asterisk_id: this.asteriskId }));
      }
      app.socket = socket;
      app.subscribeAll = subscribeAll;
    }
  }

  disconnect(socket: EventSocket): void {
    for (const app of this.apps.values()) if (app.socket === socket) app.socket = null;
  }

  subscribe(appName: string, kind: 'channel' | 'bridge', id: string): void {
    const app = this.ensure(appName);
    const map = kind === 'channel' ? app.channels : app.bridges;
    map.set(id, (map.get(id) ?? 0) + 1);
  }

  unsubscribe(appName: string, kind: 'channel' | 'bridge', id: string): boolean {
    const app = this.apps.get(appName);
    if (!app) return false;
    const map = kind === 'channel' ? app.channels : app.bridges;
    const count = map.get(id);
    if (count === undefined) return false;
    if (count <= 1) map.delete(id);
    else map.set(id, count - 1);
    return true;
  }

  /** A destroyed channel or bridge can no longer be a subscription. */
  forget(kind: 'channel' | 'bridge', id: string): void {
    for (const app of this.apps.values()) (kind === 'channel' ? app.channels : app.bridges).delete(id);
  }

  publish(event: AriEvent, topics: Topics): void {
    const delivered: string[] = [];
    for (const app of this.apps.values()) {
      if (!app.socket || !this.wants(app, topics)) continue;
      delivered.push(app.name);
      app.socket.send(JSON.stringify({ ...event, asterisk_id: this.asteriskId, application: app.name }));
    }
    this.observe(event, delivered);
  }

  private wants(app: AppState, topics: Topics): boolean {
    if (topics.onlyApp !== undefined) return app.name === topics.onlyApp;
    if (app.subscribeAll) return true;
    if (topics.channels?.some((id) => app.channels.has(id))) return true;
    return topics.bridges?.some((id) => app.bridges.has(id)) ?? false;
  }

  private ensure(name: string): AppState {
    let app = this.apps.get(name);
    if (!app) {
      app = new AppState(name);
      this.apps.set(name, app);
    }
    return app;
  }
}
