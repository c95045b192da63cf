import { describe, expect, it } from '@jest/globals';
import { AUDIT_ACTIONS } from '@phr/shared-types';
import { ACTION_WORDING, actionLabel, describeEvent } from './action-wording.js';
import { deviceName } from './device-name.js';

describe('the trail in plain words', () => {
  it('words every action code of the contract, done and tried, with no code left over', () => {
    expect(Object.keys(ACTION_WORDING).sort()).toEqual([...AUDIT_ACTIONS].sort());
    for (const action of AUDIT_ACTIONS) {
      const [done, tried] = ACTION_WORDING[action];
      for (const text of [done('chest-xray.pdf'), tried('chest-xray.pdf')]) {
        expect([action, text.trim().length > 0, text.includes(action)]).toEqual([action, true, false]);
      }
    }
    // Each action reads differently in a filter list.
    expect(new Set(AUDIT_ACTIONS.map(actionLabel)).size).toBe(AUDIT_ACTIONS.length);
  });

  it('says who opened which record, and who was refused', () => {
    expect(describeEvent({ action: 'record.read', outcome: 'allow' }, { actor: 'Dr Sam Okafor', record: 'chest-xray.pdf' })).toBe('Dr Sam Okafor opened chest-xray.pdf');
    expect(describeEvent({ action: 'record.read', outcome: 'deny' }, { actor: 'Nosy Stranger', record: 'chest-xray.pdf' })).toBe('Nosy Stranger tried to open chest-xray.pdf (refused)');
    expect(actionLabel('record.read')).toBe('Opened a record');
  });

  it('names devices from their user agents', () => {
    expect(deviceName('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36')).toBe('Chrome on Linux');
    expect(deviceName('Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1')).toBe(
      'Safari on iPhone',
    );
    expect(deviceName('Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0')).toBe('Firefox on Windows');
    expect(deviceName('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0')).toBe('Edge on Windows');
    expect(deviceName('curl/8.5.0')).toBe('curl');
    expect(deviceName(null)).toBe('Unknown device');
  });
});
