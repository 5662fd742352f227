/*
 * TEST-ONLY shim: bcryptprimitives.dll for Wine 8, which lacks it.
 *
 * Rust's standard library on Windows (1.78+) gets its random bytes (HashMap seeds) from
 * ProcessPrng in bcryptprimitives.dll; Debian's Wine 8.0 has no such DLL, so every Rust
 * program aborts at start. This forwards ProcessPrng to RtlGenRandom (advapi32's
 * SystemFunction036), which Wine implements over the host's random source.
 * `cargo xtask test` builds it with mingw into target/wine/ and puts it next to the bridge's
 * .exe under Wine. It is never shipped: real Windows 10/11 have the DLL.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x40000000 ? 0x40000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
