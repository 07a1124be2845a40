// hello.js - a JavaScript component (componentize-js, StarlingMonkey) using
// console.log, Date.now() and Math.random(): WASI 0.2's stdout, wall clock
// and random under the hood.
export function greet(name) {
  console.log(`hello from js, ${name}`);
  return `hi ${name}`;
}

export function nowMs() {
  return Date.now();
}

export function dice(n) {
  const out = [];
  for (let i = 0; i < n; i++) out.push(1 + Math.floor(Math.random() * 6));
  return out;
}
