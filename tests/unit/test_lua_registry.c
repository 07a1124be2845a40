/* test_lua_registry.c - function.lua and library.lua entries of a loaded
 * project registered into the runtime (src/lua/register.c), calling WAT
 * functions of the same project. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "helpers.h"

#include "lua/lua_int.h"
#include "lua/wflua.h"
#include "component/cabi/cabi.h"

void *const test_lua_registry_cabi_link = (void *)&wf_cabi_call;

static char dir[] = "/tmp/wf_lua_regXXXXXX";

static const char *INDEX =
    "namespace: app\n"
    "entries:\n"
    "  - name: add\n"
    "    kind: function.wat\n"
    "    method: add\n"
    "    source: |\n"
    "      (module (func (export \"add\") (param i32 i32) (result i32)\n"
    "        local.get 0 local.get 1 i32.add))\n"
    "  - name: util\n"
    "    kind: library.lua\n"
    "    source: file://util.lua\n"
    "  - name: summary\n"
    "    kind: function.lua\n"
    "    method: run\n"
    "    modules: [funcs]\n"
    "    imports:\n"
    "      u: util\n"
    "    source: |\n"
    "      local funcs = require('funcs')\n"
    "      local u = require('u')\n"
    "      function run(a, b)\n"
    "        local sum, err = funcs.call('app:add', a, b)\n"
    "        if err then return nil, err end\n"
    "        local ok, jerr = pcall(require, 'json')\n"
    "        return {sum = sum, twice = u.twice(sum), json_allowed = ok}\n"
    "      end\n"
    "  - name: broken\n"
    "    kind: function.lua\n"
    "    method: run\n"
    "    modules: [json, nope]\n"
    "    source: 'function run() end'\n";

static void test_register(void **state)
{
    (void)state;
    assert_non_null(mkdtemp(dir));
    put(dir, "_index.yaml", INDEX);
    put(dir, "util.lua", "return { twice = function(x) return 2 * x end }\n");

    wf_registry *reg;
    wf_error *e = wf_registry_load(dir, &reg);
    if (e) {
        for (size_t i = 0; i < wf_registry_diag_count(reg); i++) {
            char *d = wf_reg_diag_format(wf_registry_diag(reg, i));
            print_error("%s\n", d);
            free(d);
        }
        fail_msg("load: %s", e->message);
    }
    wf_runtime *rt = wf_runtime_new();
    assert_null(wf_registry_register(reg, rt));
    e = wf_lua_register(reg, rt);
    assert_non_null(e);
    assert_string_equal(e->message, "_index.yaml:27: app:broken: unknown module `nope` in `modules` "
                                    "(did you mean `time`? built-ins: funcs, json, time, env, logger, ctx, http, http_client, metrics, registry, system)");
    wf_error_free(e);
    assert_true(wf_runtime_has(rt, "app:summary"));
    assert_false(wf_runtime_has(rt, "app:broken"));

    wf_val args[2] = {wf_val_sint(WF_VAL_S64, 40), wf_val_sint(WF_VAL_S64, 2)};
    wf_val r;
    assert_null(wf_runtime_call(rt, "app:summary", args, 2, &r, NULL));
    assert_int_equal(r.kind, WF_VAL_RECORD);
    assert_int_equal(wf_val_field(&r, "sum")->of.s, 42);
    assert_int_equal(wf_val_field(&r, "twice")->of.s, 84);
    assert_false(wf_val_field(&r, "json_allowed")->of.b);
    wf_val_free(&r);

    /* An error value returned by the Lua function keeps its kind. */
    args[1] = wf_val_sint(WF_VAL_S64, 1ll << 40);
    e = wf_runtime_call(rt, "app:summary", args, 2, &r, NULL);
    assert_non_null(e);
    assert_int_equal(e->kind, WF_ERR_INVALID);
    assert_string_equal(e->message, "app:add: parameter 2: 1099511627776 is out of range for i32");
    wf_error_free(e);

    wf_runtime_free(rt);
    wf_registry_free(reg);
    assert_int_equal(rm_tree(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_register),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
