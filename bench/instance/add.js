// The JavaScript component (built by bench/js-component): StarlingMonkey/
// SpiderMonkey inside, so the component is ~12 MB, most of it data segments.
export function add(a, b) {
  return a + b;
}

// State in the JS heap: a module variable and a global. In a pristine
// instance step returns 11; then mode 1 throws (a trap), mode 2 spins until
// the call's deadline.
let calls = 0;
export function step(mode) {
  calls += 1;
  globalThis.leak = (globalThis.leak || 0) + 1;
  const r = calls * 10 + globalThis.leak;
  if (mode === 1) throw new Error("boom");
  if (mode === 2) for (;;) {}
  return r;
}
