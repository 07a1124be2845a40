/*
 * tier.c - the engine tiers' names (wasm/jit.h: wf_tier_parse), one
 * parser for builds with the compiled tier (jit/jit.c) and without it
 * (jit/jit_none.c, which then refuses the tier when it is set).
 */
#include <string.h>

#include "wasm/jit.h"

bool wf_tier_parse(const char *s, wf_tier *out)
{
    if (!strcmp(s, "interp")) *out = WF_TIER_INTERP;
    else if (!strcmp(s, "compiled")) *out = WF_TIER_COMPILED;
    else if (!strcmp(s, "auto")) *out = WF_TIER_AUTO;
    else return false;
    return true;
}
