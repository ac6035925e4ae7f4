/* Pre-included in the -n server of tests/golden/ndr.defs (e2e-ndrconv): a program-defined
 * conversion hook for nd_add's `a`, counting its calls. `b` keeps the default chain, which ends
 * at <mach/ndr.h>'s __NDR_convert__int_rep__int32_t (a byte swap). */
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif
extern int ndr_hook_calls;
void ndr_test_convert_a(int32_t *value, unsigned char int_rep);
#ifdef __cplusplus
}
#endif
#define __NDR_convert__int_rep__Request__nd_add_t__a__defined
#define __NDR_convert__int_rep__Request__nd_add_t__a(a, f) ndr_test_convert_a((int32_t *)(a), (f))
