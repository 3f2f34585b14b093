import { normalizeSignalROutput, SignalROutputValidationError } from '../../src/bindings';

function kinds(value: unknown): string[] {
  return normalizeSignalROutput(value).map((item) => item.operation.kind);
}

function validationError(value: unknown): SignalROutputValidationError {
  try {
    normalizeSignalROutput(value);
  } catch (error) {
    if (error instanceof SignalROutputValidationError) return error;
    throw error;
  }
  throw new Error('expected a validation error');
}

describe('signalR output items', () => {
  it('nothing set is no items', () => {
    expect(normalizeSignalROutput(undefined)).toEqual([]);
    expect(normalizeSignalROutput(null)).toEqual([]);
    expect(normalizeSignalROutput([])).toEqual([]);
  });

  it('routes a message connectionId > userId > groupName > broadcast', () => {
    expect(kinds({ target: 't', connectionId: 'c', userId: 'u', groupName: 'g' })).toEqual(['sendToConnection']);
    expect(kinds({ target: 't', userId: 'u', groupName: 'g' })).toEqual(['sendToUser']);
    expect(kinds({ target: 't', groupName: 'g' })).toEqual(['sendToGroup']);
    expect(kinds({ target: 't' })).toEqual(['broadcast']);
  });

  it('null routing fields mean not set', () => {
    expect(kinds({ target: 't', connectionId: null, userId: null, groupName: 'g' })).toEqual(['sendToGroup']);
  });

  it('accepts PascalCase and keeps array order and indexes', () => {
    const items = normalizeSignalROutput([
      { Target: 'a', Arguments: [1], GroupName: 'g' },
      { Action: 'Add', UserId: 'u', GroupName: 'g' },
      { target: 'b' },
    ]);
    expect(items).toEqual([
      { index: 0, operation: { kind: 'sendToGroup', groupName: 'g', target: 'a', arguments: [1] } },
      { index: 1, operation: { kind: 'addUserToGroup', userId: 'u', groupName: 'g' } },
      { index: 2, operation: { kind: 'broadcast', target: 'b', arguments: [] } },
    ]);
  });

  it('maps group actions, connectionId winning over userId', () => {
    expect(kinds({ action: 'add', connectionId: 'c', userId: 'u', groupName: 'g' })).toEqual(['addConnectionToGroup']);
    expect(kinds({ action: 'remove', connectionId: 'c', groupName: 'g' })).toEqual(['removeConnectionFromGroup']);
    expect(kinds({ action: 'add', userId: 'u', groupName: 'g' })).toEqual(['addUserToGroup']);
    expect(kinds({ action: 'remove', userId: 'u', groupName: 'g' })).toEqual(['removeUserFromGroup']);
    expect(kinds({ action: 'removeAll', userId: 'u' })).toEqual(['removeUserFromAllGroups']);
    expect(kinds({ action: 'removeAll', connectionId: 'c', userId: 'u', groupName: 'ignored' })).toEqual(['removeConnectionFromAllGroups']);
  });

  it('ignores unknown keys, accepts and ignores endpoints', () => {
    expect(kinds({ target: 't', somethingElse: 1, endpoints: [{ name: 'x' }] })).toEqual(['broadcast']);
  });

  it.each([
    ['not an object', 'x', undefined, ''],
    ['missing target', { arguments: [] }, undefined, 'target'],
    ['blank target', { target: ' ' }, undefined, 'target'],
    ['arguments not an array', { target: 't', arguments: {} }, undefined, 'arguments'],
    ['endpoints not an array', { target: 't', endpoints: 'x' }, undefined, 'endpoints'],
    ['empty userId', { target: 't', userId: '' }, undefined, 'userId'],
    ['two spellings', { target: 't', groupName: 'a', GroupName: 'b' }, undefined, 'groupName'],
    ['unknown action', [{ target: 't' }, { action: 'join', userId: 'u', groupName: 'g' }], 1, 'action'],
    ['action without subject', [{ action: 'add', groupName: 'g' }], 0, 'userId'],
    ['add without group', [{ target: 't' }, { target: 't' }, { action: 'add', userId: 'u' }], 2, 'groupName'],
    ['group name too long', { target: 't', groupName: 'x'.repeat(1025) }, undefined, 'groupName'],
  ])('%s is an error naming index and field', (_name, value, index, field) => {
    const error = validationError(value);
    expect(error.index).toBe(index);
    expect(error.field).toBe(field);
    if (index !== undefined) expect(error.message).toContain(`[${index}]`);
    if (field !== '') expect(error.message).toContain(`"${field}"`);
  });
});
