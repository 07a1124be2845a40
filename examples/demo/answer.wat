;; The original document's first example: a function that returns 42.
(module
  (func (export "answer") (result i32)
    i32.const 42))
