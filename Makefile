# The two commands of the README:
#   make run    install missing packages, build, start a single node on localhost:4001 (data in ./data)
#   make test   install missing packages, build, run the whole test suite
# Other targets: make build (binaries in build/bin), make debug, make asan, make bench, make clean.
.PHONY: deps configure build run test debug asan bench clean

deps:
	@tools/install-deps.sh

configure: deps
	@test -f build/build.ninja || cmake --preset release >/dev/null

build: configure
	@cmake --build --preset release

run: build
	mkdir -p data
	exec build/bin/rqlited ./data

test: build
	ctest --preset release

debug: deps
	cmake --preset debug && cmake --build --preset debug && ctest --preset debug

asan: deps
	cmake --preset asan && cmake --build --preset asan && ctest --preset asan

bench: build
	bench/run_all.sh

clean:
	rm -rf build
