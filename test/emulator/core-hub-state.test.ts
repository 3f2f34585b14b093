import { HubMember, HubState } from '../../src/emulator/hubState';
import { jsonProtocol } from '../../src/protocol/jsonProtocol';
import { messagePackProtocol } from '../../src/protocol/messagePackProtocol';
import { OutboundMessage, wireEncoding } from '../../src/emulator/outboundMessage';
import { FakeClock } from '../support/fakeClock';

/** A hub member that records what reaches it, serialized like a JSON connection would. */
class RecordingMember implements HubMember {
  readonly received: unknown[] = [];
  readonly closedWith: Array<string | undefined> = [];
  constructor(
    private readonly state: HubState,
    private readonly hub: string,
    readonly connectionId: string,
    readonly userId: string | undefined,
  ) {}
  deliver(message: OutboundMessage): void {
    const text = message.bytesFor(wireEncoding(jsonProtocol, false)).toString('utf8');
    const parsed = JSON.parse(text.slice(0, -1)) as { arguments: unknown[] };
    this.received.push(parsed.arguments[0]);
  }
  close(reason: string | undefined): void {
    this.closedWith.push(reason);
    this.state.removeConnection(this.hub, this.connectionId);
  }
}

function setup(): { state: HubState; clock: FakeClock; join: (id: string, user?: string, hub?: string) => RecordingMember } {
  const clock = new FakeClock();
  const state = new HubState(clock);
  const join = (id: string, user?: string, hub = 'h'): RecordingMember => {
    const member = new RecordingMember(state, hub, id, user);
    state.addConnection(hub, member);
    return member;
  };
  return { state, clock, join };
}

const msg = (value: unknown) => ({ target: 't', arguments: [value] });

describe('HubState', () => {
  it('routes broadcast (with excluded), user, group and connection sends', () => {
    const { state, join } = setup();
    const a = join('a', 'u1');
    const b = join('b', 'u1');
    const c = join('c', 'u2');
    const other = join('x', 'u1', 'otherhub');
    state.broadcast('h', msg('all'), ['b']);
    state.sendToUser('h', 'u1', msg('u1'));
    state.addConnectionToGroup('h', 'g', 'c');
    state.sendToGroup('h', 'g', msg('g'));
    state.sendToGroup('h', 'g', msg('g-excl'), ['c']);
    expect(state.sendToConnection('h', 'a', msg('a'))).toBe(true);
    expect(state.sendToConnection('h', 'nope', msg('a'))).toBe(false);
    expect(a.received).toEqual(['all', 'u1', 'a']);
    expect(b.received).toEqual(['u1']);
    expect(c.received).toEqual(['all', 'g']);
    expect(other.received).toEqual([]);
  });

  it('serializes a broadcast once per wire encoding', () => {
    const message = new OutboundMessage({ type: 1, target: 't', arguments: [1] });
    const json = wireEncoding(jsonProtocol, false);
    const pack = wireEncoding(messagePackProtocol, false);
    expect(message.bytesFor(json)).toBe(message.bytesFor(json));
    expect(message.bytesFor(pack)).toBe(message.bytesFor(pack));
    expect(message.bytesFor(json)).not.toBe(message.bytesFor(pack));
  });

  it('reflects live state in existence checks and cleans every index on disconnect', () => {
    const { state, join } = setup();
    join('a', 'u1');
    join('b', 'u1');
    state.addConnectionToGroup('h', 'g1', 'a');
    state.addConnectionToGroup('h', 'g2', 'b');
    expect(state.connectionExists('h', 'a')).toBe(true);
    expect(state.userExists('h', 'u1')).toBe(true);
    expect(state.groupExists('h', 'g1')).toBe(true);
    expect(state.userInGroup('h', 'u1', 'g2')).toBe(true);
    state.removeConnection('h', 'a');
    expect(state.groupExists('h', 'g1')).toBe(false);
    expect(state.userExists('h', 'u1')).toBe(true);
    state.removeConnection('h', 'b');
    expect(state.userExists('h', 'u1')).toBe(false);
    expect(state.groupExists('h', 'g2')).toBe(false);
    expect(state.stats()).toEqual({ hubs: 0, connections: 0, users: 0, groups: 0, userGroupEntries: 0, userGroupTimers: 0 });
  });

  it('removes a connection from one group or all groups, reporting what it found', () => {
    const { state, join } = setup();
    join('a');
    expect(state.addConnectionToGroup('h', 'g', 'missing')).toBe(false);
    expect(state.addConnectionToGroup('h', 'g', 'a')).toBe(true);
    expect(state.addConnectionToGroup('h', 'g2', 'a')).toBe(true);
    expect(state.removeConnectionFromGroup('h', 'nogroup', 'a')).toBe(false);
    expect(state.removeConnectionFromGroup('h', 'g', 'a')).toBe(true);
    expect(state.groupExists('h', 'g')).toBe(false);
    expect(state.removeConnectionFromAllGroups('h', 'a')).toBe(true);
    expect(state.groupExists('h', 'g2')).toBe(false);
    expect(state.removeConnectionFromAllGroups('h', 'missing')).toBe(false);
  });

  it('applies user-group membership to current and later connections, and removes it', () => {
    const { state, join } = setup();
    const a = join('a', 'u');
    state.addUserToGroup('h', 'u', 'g');
    const b = join('b', 'u');
    state.sendToGroup('h', 'g', msg(1));
    expect(a.received).toEqual([1]);
    expect(b.received).toEqual([1]);
    expect(state.userInGroup('h', 'u', 'g')).toBe(true);
    state.removeUserFromGroup('h', 'u', 'g');
    expect(state.userInGroup('h', 'u', 'g')).toBe(false);
    const c = join('c', 'u');
    state.sendToGroup('h', 'g', msg(2));
    expect([a.received, b.received, c.received]).toEqual([[1], [1], []]);
  });

  it('keeps user-group membership for a user with no connections yet', () => {
    const { state, join } = setup();
    state.addUserToGroup('h', 'later', 'g');
    expect(state.userInGroup('h', 'later', 'g')).toBe(true);
    expect(state.groupExists('h', 'g')).toBe(false);
    const a = join('a', 'later');
    expect(state.groupExists('h', 'g')).toBe(true);
    state.sendToGroup('h', 'g', msg('hi'));
    expect(a.received).toEqual(['hi']);
    state.removeUserFromAllGroups('h', 'later');
    expect(state.groupExists('h', 'g')).toBe(false);
    state.removeConnection('h', 'a');
    expect(state.stats().hubs).toBe(0);
  });

  it('ttl 0 applies to current connections only', () => {
    const { state, join } = setup();
    const a = join('a', 'u');
    state.addUserToGroup('h', 'u', 'g', 0);
    const b = join('b', 'u');
    state.sendToGroup('h', 'g', msg('x'));
    expect(a.received).toEqual(['x']);
    expect(b.received).toEqual([]);
    expect(state.stats().userGroupEntries).toBe(0);
  });

  it('expires a ttl: the user leaves the group and later connections do not join', () => {
    const { state, clock, join } = setup();
    const a = join('a', 'u');
    state.addUserToGroup('h', 'u', 'g', 0.2);
    expect(state.stats().userGroupTimers).toBe(1);
    clock.advance(199);
    expect(state.userInGroup('h', 'u', 'g')).toBe(true);
    clock.advance(1);
    expect(state.userInGroup('h', 'u', 'g')).toBe(false);
    const b = join('b', 'u');
    state.sendToGroup('h', 'g', msg('late'));
    expect(a.received).toEqual([]);
    expect(b.received).toEqual([]);
    expect(state.stats()).toMatchObject({ userGroupEntries: 0, userGroupTimers: 0, groups: 0 });
  });

  it('closes by hub, group and user with excluded ids and the reason', () => {
    const { state, join } = setup();
    const a = join('a', 'u1');
    const b = join('b', 'u1');
    const c = join('c', 'u2');
    const d = join('d', 'u3');
    state.addConnectionToGroup('h', 'g', 'c');
    state.closeUser('h', 'u1', ['b'], 'user');
    state.closeGroup('h', 'g', [], 'group');
    expect(state.closeConnection('h', 'zzz')).toBe(false);
    expect([a.closedWith, b.closedWith, c.closedWith, d.closedWith]).toEqual([['user'], [], ['group'], []]);
    state.closeAll('h', ['d'], 'all');
    expect(b.closedWith).toEqual(['all']);
    expect(d.closedWith).toEqual([]);
    expect(state.connectionCount('h')).toBe(1);
  });

  it('ignores unknown hubs without creating state', () => {
    const { state } = setup();
    state.broadcast('none', msg(1));
    state.sendToUser('none', 'u', msg(1));
    state.sendToGroup('none', 'g', msg(1));
    state.closeAll('none');
    state.removeUserFromGroup('none', 'u', 'g');
    state.removeUserFromAllGroups('none', 'u');
    expect(state.userExists('none', 'u')).toBe(false);
    expect(state.stats().hubs).toBe(0);
  });

  it('cancels ttl timers on dispose', () => {
    const { state, clock } = setup();
    state.addUserToGroup('h', 'u', 'g', 3600);
    expect(state.stats().userGroupTimers).toBe(1);
    expect(clock.pending()).toBe(1);
    state.dispose();
    expect(state.stats().hubs).toBe(0);
    expect(clock.pending()).toBe(0);
  });

  it('keeps a membership without ttl for a year, re-arming past the longest timer, then expires it', () => {
    const { state, clock, join } = setup();
    state.addUserToGroup('h', 'u', 'g');
    clock.advance(364 * 24 * 3600 * 1000);
    expect(state.userInGroup('h', 'u', 'g')).toBe(true);
    const later = join('later', 'u');
    state.sendToGroup('h', 'g', msg('still'));
    expect(later.received).toEqual(['still']);
    clock.advance(2 * 24 * 3600 * 1000);
    expect(state.userInGroup('h', 'u', 'g')).toBe(false);
    expect(state.stats()).toMatchObject({ userGroupEntries: 0, userGroupTimers: 0 });
  });
});
