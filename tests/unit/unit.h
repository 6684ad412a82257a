/* Common includes for cmocka unit tests (cmocka needs these first). */
#ifndef CONSENTD_UNIT_H
#define CONSENTD_UNIT_H
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#endif
