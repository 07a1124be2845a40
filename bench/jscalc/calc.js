// The componentize-js benchmark and test component: SpiderMonkey inside
// (about 12 MB, pre-initialised by wizer), exporting one trivial function.
export function add(a, b) {
  return (a + b) | 0;
}
