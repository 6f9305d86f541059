// Call cycle
// Reports each cycle of the call graph (info): legal, but retries on a cycle multiply with every pass.
// See: https://sre.google/sre-book/addressing-cascading-failures/ ("retries amplify load")
import { compareIds, type CallIR, type ServiceId } from "../ir.js";
import type { Check } from "./check.js";

interface Edge {
  readonly from: ServiceId;
  readonly to: ServiceId;
  readonly call: CallIR;
}

export const callCycle: Check = {
  name: "CallCycle",
  run({ ir, keyOf }, report) {
    const out = new Map<ServiceId, Edge[]>();
    for (const call of ir.calls) {
      if (call.from.kind !== "service" || call.to.kind !== "service") continue;
      const edge = { from: call.from.service, to: call.to.service, call };
      const list = out.get(edge.from);
      if (list) list.push(edge);
      else out.set(edge.from, [edge]);
    }
    const nodes = [...new Set([...out.values()].flat().flatMap((e) => [e.from, e.to]))].sort(compareIds);

    // Tarjan's strongly connected components; each component holding a cycle is reported once.
    // Iterative (an explicit stack of services and their next edge): chains can be thousands deep.
    let counter = 0;
    const index = new Map<ServiceId, number>();
    const low = new Map<ServiceId, number>();
    const stack: ServiceId[] = [];
    const onStack = new Set<ServiceId>();
    const components: ServiceId[][] = [];
    const open = (v: ServiceId) => {
      index.set(v, counter);
      low.set(v, counter++);
      stack.push(v);
      onStack.add(v);
    };
    const connect = (root: ServiceId) => {
      open(root);
      const frames: { v: ServiceId; next: number }[] = [{ v: root, next: 0 }];
      while (frames.length > 0) {
        const frame = frames[frames.length - 1]!;
        const v = frame.v;
        const edge = out.get(v)?.[frame.next++];
        if (edge) {
          const w = edge.to;
          if (!index.has(w)) {
            open(w);
            frames.push({ v: w, next: 0 });
          } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
          continue;
        }
        frames.pop();
        const parent = frames[frames.length - 1];
        if (parent) low.set(parent.v, Math.min(low.get(parent.v)!, low.get(v)!));
        if (low.get(v) === index.get(v)) {
          const component: ServiceId[] = [];
          let w: ServiceId;
          do {
            w = stack.pop()!;
            onStack.delete(w);
            component.push(w);
          } while (w !== v);
          components.push(component.sort(compareIds));
        }
      }
    };
    for (const v of nodes) if (!index.has(v)) connect(v);

    for (const component of components.sort((a, b) => compareIds(a[0]!, b[0]!))) {
      const members = new Set(component);
      const start = component[0]!;
      // The shortest cycle through the component's first service, found breadth-first.
      const via = new Map<ServiceId, Edge>();
      const queue: ServiceId[] = [start];
      let closing: Edge | undefined;
      for (let head = 0; head < queue.length && !closing; head++) {
        for (const e of out.get(queue[head]!) ?? []) {
          if (!members.has(e.to)) continue;
          if (e.to === start) {
            closing = e;
            break;
          }
          if (!via.has(e.to)) {
            via.set(e.to, e);
            queue.push(e.to);
          }
        }
      }
      if (!closing) continue; // a lone service that does not call itself
      const backwards: Edge[] = [closing];
      for (let v = closing.from; v !== start; v = backwards[backwards.length - 1]!.from) backwards.push(via.get(v)!);
      const cycle = backwards.reverse();
      report("CallCycle", { cycle: [start, ...cycle.map((e) => e.to)].map((id) => `"${keyOf(id)}"`).join(" → ") }, cycle[0]!.call.span, {
        related: cycle.slice(1).map((e) => ({ message: `"${keyOf(e.from)}" calls "${keyOf(e.to)}" here.`, span: e.call.span })),
      });
    }
  },
};
