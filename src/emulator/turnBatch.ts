/**
 * Work deferred to the end of the current turn of the event loop, for everything touched in it, with one
 * scheduled callback per turn instead of one per connection. A broadcast to 1,000 connections corks 1,000
 * sockets (so a burst of writes to one socket leaves in one system call) and checks 1,000 outbound queues; with a
 * process.nextTick per socket that was 2,000 closures per broadcast on the hot path.
 */
export interface EndOfTurn {
  /** Called once, after every write of the turn in which the object was added. */
  endOfTurn(): void;
}

let pending: EndOfTurn[] = [];
let scheduled = false;

function flush(): void {
  scheduled = false;
  const due = pending;
  pending = [];
  // In the order added: a transport's flush (added on its first write) runs before its connection's check.
  for (const item of due) item.endOfTurn();
}

export function atEndOfTurn(item: EndOfTurn): void {
  pending.push(item);
  if (!scheduled) {
    scheduled = true;
    process.nextTick(flush);
  }
}
