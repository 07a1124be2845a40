# Thin wrapper over CMake + Ninja for the common targets.
BUILD   ?= build
ASAN    ?= build-asan
JOBS    ?= $(shell nproc)
SHARED  ?= $(abspath ../shared)

.PHONY: all test asan demo bench clean

all: $(BUILD)/build.ninja
	cmake --build $(BUILD)

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWF_SHARED=$(SHARED)

test: all
	ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS)

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
	rm -rf $(BUILD) $(ASAN)
