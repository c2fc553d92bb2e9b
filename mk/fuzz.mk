# Fuzzing the core with cargo-fuzz (libFuzzer). `make fuzz` builds every
# target listed by `cargo fuzz list` (fuzz/Cargo.toml) and runs each for
# FUZZ_SECONDS, one after the other, at low priority. Committed seeds are in
# fuzz/corpus/<target>/; what the fuzzer finds goes to fuzz/target/corpus/
# (kept between runs, not committed) and crashes to fuzz/artifacts/<target>/.
#
#   make fuzz                         every target, 60 s each
#   make fuzz FUZZ_SECONDS=1800       30 minutes each
#   make fuzz FUZZ_TARGETS=token      one target
#   make fuzz-list                    the targets

FUZZ_SECONDS ?= 60
FUZZ_NICE ?= nice -n 19
FUZZ_TOOLCHAIN ?= +nightly
FUZZ_CARGO = cd fuzz && $(CARGO) $(FUZZ_TOOLCHAIN) fuzz
# Longest input per target: a token may go past the 16 KiB limit.
FUZZ_MAX_LEN ?= 8192
FUZZ_MAX_LEN_token ?= 20000
# A single input taking longer than this is reported as a hang.
FUZZ_TIMEOUT ?= 30

.PHONY: fuzz fuzz-setup fuzz-build fuzz-list

# cargo-fuzz needs the nightly toolchain (for -Zsanitizer); it cannot be
# downloaded here, so its absence is an error that says what to do.
fuzz-setup:
	@rustup toolchain list | grep -q '^nightly' || { \
		echo "make fuzz needs the nightly toolchain: rustup toolchain install nightly" >&2; exit 1; }
	@$(CARGO) $(FUZZ_TOOLCHAIN) fuzz --version >/dev/null 2>&1 || $(CARGO) install cargo-fuzz --locked

fuzz-list: fuzz-setup
	@$(FUZZ_CARGO) list

fuzz-build: fuzz-setup
	$(FUZZ_CARGO) build

fuzz: fuzz-build
	@targets="$${FUZZ_TARGETS:-$$(cd fuzz && $(CARGO) $(FUZZ_TOOLCHAIN) fuzz list)}"; failed=""; \
	for target in $$targets; do \
		case "$$target" in token) max_len=$(FUZZ_MAX_LEN_token) ;; *) max_len=$(FUZZ_MAX_LEN) ;; esac; \
		mkdir -p fuzz/target/corpus/$$target fuzz/corpus/$$target; \
		echo "== fuzz $$target for $(FUZZ_SECONDS) s"; \
		( cd fuzz && $(FUZZ_NICE) $(CARGO) $(FUZZ_TOOLCHAIN) fuzz run $$target \
			target/corpus/$$target corpus/$$target -- \
			-max_total_time=$(FUZZ_SECONDS) -max_len=$$max_len \
			-timeout=$(FUZZ_TIMEOUT) -rss_limit_mb=2048 -print_final_stats=1 ) \
			|| failed="$$failed $$target"; \
	done; \
	if [ -n "$$failed" ]; then \
		echo "fuzz: findings in:$$failed (inputs in fuzz/artifacts/)" >&2; exit 1; \
	fi
