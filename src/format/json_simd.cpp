/*
 * json_simd.cpp - the only C++ in spate's format layer: a C ABI over simdjson's DOM
 * parser. One parser and one document are reused for every document parsed through a
 * handle, so parsing allocates only when a document is larger than any seen before.
 * Invariant: no C++ exception crosses the C boundary (allocation failures become
 * MEMALLOC).
 */
#include "format/json_simd.h"

#include <new>

#include <simdjson.h>

static_assert(SP_JSIMD_PADDING >= simdjson::SIMDJSON_PADDING, "padding mismatch");

struct sp_jsimd {
  simdjson::dom::parser parser;
  simdjson::dom::document doc;
};

extern "C" sp_jsimd *sp_jsimd_new(void) {
  sp_jsimd *p = new (std::nothrow) sp_jsimd();
  return p;
}

extern "C" void sp_jsimd_free(sp_jsimd *p) { delete p; }

extern "C" int sp_jsimd_parse(sp_jsimd *p, const char *buf, size_t len, bool padded, const uint64_t **tape,
                              const uint8_t **strings) {
  try {
    auto r = p->parser.parse_into_document(p->doc, buf, len, !padded);
    if (r.error()) return static_cast<int>(r.error());
  } catch (...) {
    return static_cast<int>(simdjson::MEMALLOC);
  }
  *tape = p->doc.tape.get();
  *strings = p->doc.string_buf.get();
  return 0;
}

extern "C" const char *sp_jsimd_errmsg(int code) {
  return simdjson::error_message(static_cast<simdjson::error_code>(code));
}

extern "C" int sp_jsimd_err_memalloc(void) { return static_cast<int>(simdjson::MEMALLOC); }
