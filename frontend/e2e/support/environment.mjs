// The browser suites' test environment: Node's, plus the browser events of support/diagnostics.ts
// printed under a test or hook that failed. Plain ESM: Jest loads an environment before its
// transforms apply to the test files.
import { TestEnvironment } from 'jest-environment-node';

/** The same registered symbol as BROWSER_EVENTS in support/diagnostics.ts. */
const BROWSER_EVENTS = Symbol.for('phr.e2e.browserEvents');

export default class BrowserSuiteEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    this.global[BROWSER_EVENTS] = [];
  }

  async handleTestEvent(event) {
    const events = this.global[BROWSER_EVENTS];
    if (event.name === 'test_start') {
      // What a beforeAll that passed saw is no longer news; beforeEach runs after this.
      events.splice(0);
    } else if (event.name === 'test_done' && event.test.errors.length > 0) {
      this.print(`“${event.test.name}” failed`, events);
    } else if (event.name === 'hook_failure') {
      this.print(`its ${event.hook.type} failed`, events);
    }
  }

  /** Through the test file's console, so the lines come with the file's result. */
  print(what, events) {
    const lines = events.length > 0 ? events.join('\n') : '(none noted)';
    this.global.console.warn(`Browser events before ${what}:\n${lines}`);
  }
}
