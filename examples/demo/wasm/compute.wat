;; compute(a, b) = a * b: the original document's precompiled function.
;; Rebuild the binary beside it (then update the hash in ../_index.yaml with
;; `wasmfn hash compute.wasm`):
;;   wat2wasm compute.wat -o compute.wasm
(module
  (func (export "compute") (param $a i32) (param $b i32) (result i32)
    (i32.mul (local.get $a) (local.get $b))))
