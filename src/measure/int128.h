/* 128-bit unsigned integers (a GCC/Clang extension), for exact 64x64-bit products. */
#ifndef MMBENCH_INT128_H
#define MMBENCH_INT128_H

__extension__ typedef unsigned __int128 uint128_t;

#endif
