/* What build this is: the version (git describe at build time) and meson's buildtype. */
#ifndef MMBENCH_BUILD_INFO_H
#define MMBENCH_BUILD_INFO_H

#include "build_config.h"
#include "version.h"

#endif
