/*
 * crash.h - named crash points for fault-injection tests (docs/fault-tolerance.md).
 *
 *   SP_CRASH_POINT("offsets.synced");
 *
 * marks a spot in the write path. A process started with
 *   SPATE_CRASH_AT=<name>:<nth>[:<action>]
 * counts the hits of <name> (all threads together) and, on the nth hit, performs
 * <action>:
 *   kill        (default) write "spate: crash point <name> hit <nth>" to stderr and
 *               raise SIGKILL on itself: no atexit handlers, no stdio flush, no
 *               destructors - a faithful `kill -9` at exactly that point;
 *   sleep=<ms>  write "spate: pause point <name> hit <nth>" to stderr and sleep
 *               (the calling thread only), so tests can deliver signals mid-batch.
 * Every other hit, and every hit when the variable is unset or names another point,
 * costs one relaxed atomic load.
 *
 * Compiled in when the CMake option SPATE_CRASH_POINTS is ON (the default for all
 * build types; inert unless the environment variable is set). Configure with
 * -DSPATE_CRASH_POINTS=OFF for release packages: the macro then expands to nothing.
 */
#ifndef SPATE_COMMON_CRASH_H
#define SPATE_COMMON_CRASH_H

#ifdef SPATE_CRASH_POINTS
void sp_crash_point(const char *name);
/* Hit "<tag>.<suffix>" (tag may be NULL: no hit). For tagged atomic writes. */
void sp_crash_point_tagged(const char *tag, const char *suffix);
#define SP_CRASH_POINT(name) sp_crash_point(name)
#define SP_CRASH_POINT_TAGGED(tag, suffix) sp_crash_point_tagged((tag), (suffix))
#else
#define SP_CRASH_POINT(name) ((void)0)
#define SP_CRASH_POINT_TAGGED(tag, suffix) ((void)(tag), (void)(suffix))
#endif

#endif
