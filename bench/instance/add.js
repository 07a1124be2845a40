// The JavaScript bench component (js-fixture): StarlingMonkey/SpiderMonkey
// inside, so the component is ~12 MB, most of it data segments.
export function add(a, b) {
  return a + b;
}
