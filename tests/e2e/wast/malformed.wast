;; A script that does not parse: the module is never closed.
(module
  (func (export "f"))
(assert_return (invoke "f"))
