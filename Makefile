# Thin wrapper over CMake + Ninja for the common targets.
BUILD   ?= build
ASAN    ?= build-asan
JOBS    ?= $(shell nproc)
SHARED  ?= $(abspath ../shared)
FUZZ    ?= build-fuzz
# Seconds per fuzz target: in `make test`, and in `make fuzz-long`.
FUZZ_CI_TIME ?= 20
FUZZ_TIME    ?= 600

.PHONY: all test asan demo bench clean fuzz fuzz-ci fuzz-long

all: $(BUILD)/build.ninja
	cmake --build $(BUILD)

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWF_SHARED=$(SHARED)

test: all
	ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS)
	$(MAKE) fuzz-ci

# libFuzzer targets (tests/fuzz), built by clang with ASan and UBSan.
$(FUZZ)/build.ninja:
	cmake -S . -B $(FUZZ) -G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	      -DWF_FUZZ=ON -DWF_SHARED=$(SHARED)

fuzz: $(FUZZ)/build.ninja
	cmake --build $(FUZZ)

# Every target for FUZZ_CI_TIME seconds from its committed corpus (part of `make test`).
fuzz-ci: fuzz
	tests/fuzz/run $(FUZZ) $(FUZZ_CI_TIME)

# Every target for FUZZ_TIME seconds, also seeded from ../shared/testsuite.
fuzz-long: fuzz
	tests/fuzz/seed $(SHARED) $(FUZZ)/fuzz-seeds
	tests/fuzz/run --seeds $(FUZZ)/fuzz-seeds $(FUZZ) $(FUZZ_TIME)

$(ASAN)/build.ninja:
	cmake -S . -B $(ASAN) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DWF_SANITIZE=ON -DWF_SHARED=$(SHARED)

asan: $(ASAN)/build.ninja
	cmake --build $(ASAN)
	ctest --test-dir $(ASAN) --output-on-failure -j$(JOBS)

demo: all
	examples/demo/run $(BUILD)

bench: all
	cmake --build $(BUILD) --target bench
	bench/run $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN) $(FUZZ)
