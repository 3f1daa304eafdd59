import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/**
 * A private Asterisk for the real-PBX suite: its own configuration in a fresh temporary directory
 * (nothing under /etc is read), modules and sounds from an installed prefix (ASTERISK_HOME), HTTP
 * and ARI on 127.0.0.1 only, run as a child process and stopped with `core stop now`.
 */

export const SHIPPED_DIALPLAN = path.resolve(__dirname, '..', '..', 'dialplan', 'asterisk', 'callbackd.conf');

export interface AsteriskOptions {
  /** Install prefix with sbin/asterisk, lib/asterisk/modules and var/lib/asterisk (sounds). */
  home: string;
  /** Contexts appended to extensions.conf after the #include of the shipped dialplan. */
  extensions: string;
  /** queues.conf body after [general]. */
  queues: string;
  /** ARI users and passwords. */
  ariUsers: Record<string, string>;
}

/** A TCP port that was free a moment ago (listen on 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

// Modules that bind non-loopback ports or reach out to the network, and modules that decline to load
// without a configuration of their own (left out only to keep the log readable).
const NOLOAD = [
  'chan_iax2', 'chan_unistim', 'chan_mgcp', 'chan_skinny', 'chan_sip', 'chan_pjsip', 'res_pjsip', 'pbx_dundi',
  'res_phoneprov', 'res_pjsip_phoneprov_provider', 'res_hep', 'res_hep_rtcp', 'res_hep_pjsip', 'res_snmp',
  'res_pktccops', 'res_statsd', 'res_smdi', 'res_calendar', 'res_calendar_caldav', 'res_calendar_ews',
  'res_calendar_exchange', 'res_calendar_icalendar', 'res_xmpp', 'chan_motif', 'cdr_radius', 'cel_radius',
  'cdr_tds', 'cel_tds', 'cdr_beanstalkd', 'cel_beanstalkd', 'chan_dahdi', 'chan_console', 'chan_alsa',
  'chan_ooh323', 'res_config_ldap', 'res_config_pgsql', 'cdr_pgsql', 'cel_pgsql',
  'res_stun_monitor', 'res_parking', 'app_agent_pool', 'app_confbridge', 'app_page', 'app_alarmreceiver',
  'app_festival', 'app_amd', 'app_followme', 'res_prometheus', 'pbx_ael', 'cdr_csv', 'cdr_custom', 'cdr_manager',
  'cdr_sqlite3_custom', 'cel_custom', 'cel_manager', 'cel_sqlite3_custom', 'app_voicemail', 'app_minivm',
];

export class PrivateAsterisk {
  readonly dir: string;
  readonly confFile: string;
  readonly fullLog: string;
  port = 0;
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();

  private constructor(private readonly opts: AsteriskOptions) {
    // Short: the control socket <dir>/run/asterisk.ctl must fit in a 108-byte unix socket path.
    this.dir = fs.mkdtempSync('/tmp/cbast-');
    this.confFile = path.join(this.dir, 'etc', 'asterisk.conf');
    this.fullLog = path.join(this.dir, 'log', 'full');
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get binary(): string {
    return path.join(this.opts.home, 'sbin', 'asterisk');
  }

  static async boot(opts: AsteriskOptions): Promise<PrivateAsterisk> {
    const ast = new PrivateAsterisk(opts);
    ast.port = await freePort();
    ast.writeConfig();
    await ast.start();
    return ast;
  }

  private writeConfig(): void {
    const { home } = this.opts;
    const lib = path.join(home, 'var', 'lib', 'asterisk');
    for (const d of ['etc', 'run', 'log', 'spool', 'db']) fs.mkdirSync(path.join(this.dir, d), { recursive: true });
    const files: Record<string, string> = {
      'asterisk.conf': `[directories]
astetcdir => ${this.dir}/etc
astmoddir => ${home}/lib/asterisk/modules
astvarlibdir => ${lib}
astdatadir => ${lib}
astagidir => ${lib}/agi-bin
astkeydir => ${lib}
astspooldir => ${this.dir}/spool
astrundir => ${this.dir}/run
astlogdir => ${this.dir}/log
astdbdir => ${this.dir}/db
astsbindir => ${home}/sbin

[options]
verbose = 3
debug = 0
nocolor = yes
documentation_language = en_US
defaultlanguage = en
`,
      'modules.conf': `[modules]\nautoload = yes\n${NOLOAD.map((m) => `noload => ${m}.so`).join('\n')}\n`,
      'http.conf': `[general]\nenabled = yes\nbindaddr = 127.0.0.1\nbindport = ${this.port}\ntlsenable = no\n`,
      'ari.conf':
        `[general]\nenabled = yes\n\n` +
        Object.entries(this.opts.ariUsers)
          .map(([user, password]) => `[${user}]\ntype = user\nread_only = no\npassword = ${password}\npassword_format = plain\n`)
          .join('\n'),
      'manager.conf': '[general]\nenabled = no\n',
      'extensions.conf': `[general]\nstatic = yes\nwriteprotect = yes\n\n#include "${SHIPPED_DIALPLAN}"\n\n${this.opts.extensions}\n`,
      'queues.conf': `[general]\npersistentmembers = no\n\n${this.opts.queues}\n`,
      'musiconhold.conf': `[default]\nmode = files\ndirectory = ${lib}/moh\n`,
      'indications.conf': `[general]\ncountry = us\n\n[us]\ndescription = United States\nringcadence = 2000,4000\ndial = 350+440\nbusy = 480+620/500,0/500\nring = 440+480/2000,0/4000\ncongestion = 480+620/250,0/250\ncallwaiting = 440/300,0/10000\ndialrecall = !350+440/100,!0/100,!350+440/100,!0/100,!350+440/100,!0/100,350+440\nrecord = 1400/500,0/15000\ninfo = !950/330,!1400/330,!1800/330,0\nstutter = !350+440/100,!0/100,350+440\n`,
      'logger.conf': '[general]\ndateformat = %F %T.%3q\n\n[logfiles]\nmessages => notice,warning,error\nfull => notice,warning,error,verbose,dtmf\n',
      'cdr.conf': '[general]\nenable = no\n',
      'cel.conf': '[general]\nenable = no\n',
      'features.conf': '[general]\n',
      'ccss.conf': '[general]\n',
      'udptl.conf': '[general]\n',
      'stasis.conf': '[threadpool]\n',
      'acl.conf': '',
      'cli_aliases.conf': '',
      // Present only so the modules that read them do not log a missing file.
      'res_config_sqlite3.conf': '',
      'geolocation.conf': '',
      'aeap.conf': '',
      'websocket_client.conf': '',
      'chan_websocket.conf': '',
    };
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(this.dir, 'etc', name), text);
  }

  private async start(): Promise<void> {
    const out = fs.openSync(path.join(this.dir, 'log', 'console.out'), 'a');
    const child = spawn(this.binary, ['-C', this.confFile, '-f', '-n'], { cwd: this.dir, stdio: ['ignore', out, out] });
    fs.closeSync(out);
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    let gone = false;
    child.once('exit', () => (gone = true));
    const socket = path.join(this.dir, 'run', 'asterisk.ctl');
    const deadline = Date.now() + 20_000;
    while (!fs.existsSync(socket)) {
      if (gone) throw new Error(`asterisk exited during boot; see ${this.dir}/log/console.out:\n${this.consoleOut()}`);
      if (Date.now() > deadline) throw new Error(`no control socket after 20 s; see ${this.dir}/log`);
      await sleep(50);
    }
    const booted = await this.cli('core waitfullybooted', 30_000);
    if (!/fully booted/i.test(booted)) throw new Error(`asterisk did not boot: ${booted}`);
  }

  consoleOut(): string {
    try {
      return fs.readFileSync(path.join(this.dir, 'log', 'console.out'), 'utf8');
    } catch {
      return '';
    }
  }

  /** The `full` log so far (verbose 3: applications run, Playing '...', DTMF). */
  log(): string {
    try {
      return fs.readFileSync(this.fullLog, 'utf8');
    } catch {
      return '';
    }
  }

  /** One CLI command through the remote console (`asterisk -C conf -rx`). */
  cli(command: string, timeoutMs = 10_000): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(this.binary, ['-C', this.confFile, '-rx', command], { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
        if (err) reject(new Error(`asterisk -rx '${command}' failed: ${err.message} ${stderr}`));
        else resolve(stdout);
      });
    });
  }

  /** `core stop now` and wait for the process to exit (SIGKILL after 15 s). */
  async stop(keep = false): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      await this.cli('core stop now').catch(() => undefined);
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await this.exited;
      clearTimeout(timer);
    }
    this.child = null;
    if (!keep) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
