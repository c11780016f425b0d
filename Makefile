# lancert — top-level, non-recursive GNU Makefile.
# On a fresh clone `make`, `make demo` and `make check` install what is
# missing (scripts/deps.sh), generate ./configure and run it, then build.

.DEFAULT_GOAL := all
.SUFFIXES:
.DELETE_ON_ERROR:

ifeq ($(filter distclean,$(MAKECMDGOALS)),)
include config.mk
endif

# Bootstrap: a checkout has no ./configure; a packager's tarball does.
config.mk: config.mk.in configure.ac
	@sh scripts/deps.sh build check
	@if [ ! -f configure ] || [ configure.ac -nt configure ]; then autoreconf -fi; fi
	@if [ -f config.status ]; then ./config.status --recheck >/dev/null && ./config.status >/dev/null; \
	 else ./configure $(CONFIGURE_FLAGS) >/dev/null; fi
	@touch $@

WARN := -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes \
        -Wpointer-arith -Wcast-qual -Wvla -Wno-unused-parameter
ifeq ($(WERROR),yes)
WARN += -Werror
endif
SAN :=
ifeq ($(SANITIZE),yes)
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
endif

LC_CPPFLAGS := -I. -Isrc -include config.h -D_GNU_SOURCE $(CPPFLAGS)
LC_CFLAGS := -std=c11 $(WARN) $(SAN) $(CFLAGS)
LC_LDFLAGS := $(SAN) $(LDFLAGS)
DEP_CFLAGS := $(OPENSSL_CFLAGS) $(MHD_CFLAGS) $(GNUTLS_CFLAGS) $(JANSSON_CFLAGS) $(SQLITE_CFLAGS) $(JOSE_CFLAGS) \
              $(QRENCODE_CFLAGS)
# libcurl: only src/cli/client.c includes it.
DEP_CFLAGS += $(CURL_CFLAGS)

LIB := liblancert.a

# Each folder lists its own sources.
include src/core/Makefile.inc
include src/store/Makefile.inc
include ca/Makefile.inc
include dns/Makefile.inc
include web/Makefile.inc
include src/http/Makefile.inc
include src/cli/Makefile.inc
include src/Makefile.inc
include tests/Makefile.inc
include bench/Makefile.inc

LIB_OBJS := $(CORE_OBJS) $(STORE_OBJS) $(CA_OBJS) $(DNS_OBJS)
BINS := lancert lancertd

all: $(BINS)

$(LIB): $(LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

%.o: %.c config.mk
	$(CC) $(LC_CPPFLAGS) $(DEP_CFLAGS) $(LC_CFLAGS) -MMD -MP -c -o $@ $<

-include $(shell find . -name '*.d' -not -path './.git/*' 2>/dev/null)

install: all
	$(INSTALL) -d $(DESTDIR)$(bindir) $(DESTDIR)$(sbindir) $(DESTDIR)$(mandir)/man1 \
	    $(DESTDIR)$(mandir)/man5 $(DESTDIR)$(mandir)/man8
	$(INSTALL) -m 755 lancert $(DESTDIR)$(bindir)/lancert
	$(INSTALL) -m 755 lancertd $(DESTDIR)$(sbindir)/lancertd
	$(INSTALL) -m 644 man/lancert.1 $(DESTDIR)$(mandir)/man1/lancert.1
	$(INSTALL) -m 644 man/lancert.conf.5 $(DESTDIR)$(mandir)/man5/lancert.conf.5
	$(INSTALL) -m 644 man/lancertd.8 $(DESTDIR)$(mandir)/man8/lancertd.8

uninstall:
	rm -f $(DESTDIR)$(bindir)/lancert $(DESTDIR)$(sbindir)/lancertd \
	    $(DESTDIR)$(mandir)/man1/lancert.1 $(DESTDIR)$(mandir)/man5/lancert.conf.5 \
	    $(DESTDIR)$(mandir)/man8/lancertd.8

demo: all
	@sh scripts/demo.sh

clean:
	find . -name '*.o' -o -name '*.d' | grep -v '^./.git/' | xargs rm -f
	rm -f $(LIB) $(BINS) $(CLEAN_EXTRA)

distclean: clean
	rm -rf config.mk config.h config.status config.log autom4te.cache configure~ \
	    tests/artifacts

.PHONY: all install uninstall demo clean distclean
