;; compute.wasm: rebuild with `wat2wasm compute.wat -o compute.wasm` (then `wasmfn hash`)
(module
  (func (export "compute") (param i32 i32) (result i32)
    local.get 0 local.get 1 i32.mul))
