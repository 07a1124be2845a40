int wf_wasm_placeholder_;
