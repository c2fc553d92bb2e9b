# The playground (www/): a static page on the npm package. `make build`
# assembles it in dist/www; its browser tests drive Debian's Chromium.

SETUP_TARGETS += setup-www
BUILD_TARGETS += build-www
TEST_TARGETS += test-www

WWW_FILES := www/index.html www/app.js www/engine.js www/style.css

.PHONY: setup-www build-www test-www serve-www

setup-www: www/node_modules/.package-lock.json $(STAMPS)/chromium

www/node_modules/.package-lock.json: www/package.json www/package-lock.json
	cd www && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(STAMPS)/chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; \
	fi
	@mkdir -p $(STAMPS) && touch $@

build-www: build-js
	rm -rf dist/www && mkdir -p dist/www/pkg
	cp $(WWW_FILES) dist/www/
	cp -r pkg/. dist/www/pkg/

test-www: build-www setup-www
	cd www && node --test test/

serve-www: build-www
	python3 www/serve.py dist/www 8080
