/* Machine-dependent exception codes (<mach/machine/exception.h>): the code[0] values of
 * EXC_BAD_ACCESS, EXC_BAD_INSTRUCTION, EXC_ARITHMETIC and EXC_BREAKPOINT for x86_64 (EXC_I386_*)
 * and arm64 (EXC_ARM_*), with Darwin's values. Both sets are always defined (their names do not
 * collide); libmach raises the set of the machine it runs on (docs/exceptions.md). */
#ifndef OPENMIG_MACH_MACHINE_EXCEPTION_H
#define OPENMIG_MACH_MACHINE_EXCEPTION_H

/* x86_64 */
#define EXC_I386_INVOP 1      /* EXC_BAD_INSTRUCTION: invalid opcode */
#define EXC_I386_DIV 1        /* EXC_ARITHMETIC: integer divide by zero */
#define EXC_I386_INTO 2       /* EXC_ARITHMETIC: integer overflow */
#define EXC_I386_NOEXT 3
#define EXC_I386_EXTOVR 4
#define EXC_I386_EXTERR 5     /* EXC_ARITHMETIC: x87 error */
#define EXC_I386_EMERR 6
#define EXC_I386_BOUND 7
#define EXC_I386_SSEEXTERR 8  /* EXC_ARITHMETIC: SSE floating point error */
#define EXC_I386_SGL 1        /* EXC_BREAKPOINT: single step */
#define EXC_I386_BPT 2        /* EXC_BREAKPOINT: int3 */
#define EXC_I386_DIVERR 0
#define EXC_I386_SGLSTP 1
#define EXC_I386_NMIFLT 2
#define EXC_I386_BPTFLT 3
#define EXC_I386_INTOFLT 4
#define EXC_I386_BOUNDFLT 5
#define EXC_I386_INVOPFLT 6
#define EXC_I386_NOEXTFLT 7
#define EXC_I386_EXTOVRFLT 9
#define EXC_I386_INVTSSFLT 10
#define EXC_I386_SEGNPFLT 11
#define EXC_I386_STKFLT 12
#define EXC_I386_GPFLT 13     /* EXC_BAD_ACCESS: general protection fault (no address) */
#define EXC_I386_PGFLT 14
#define EXC_I386_EXTERRFLT 16
#define EXC_I386_ALIGNFLT 17  /* EXC_BAD_ACCESS: misaligned access */
#define EXC_I386_ENDPERR 33
#define EXC_I386_ENOEXTFLT 32

/* arm64 */
#define EXC_ARM_UNDEFINED 1   /* EXC_BAD_INSTRUCTION: undefined instruction */
#define EXC_ARM_FP_UNDEFINED 0
#define EXC_ARM_FP_IO 1       /* EXC_ARITHMETIC: invalid operation */
#define EXC_ARM_FP_DZ 2       /* EXC_ARITHMETIC: divide by zero */
#define EXC_ARM_FP_OF 3       /* EXC_ARITHMETIC: overflow */
#define EXC_ARM_FP_UF 4       /* EXC_ARITHMETIC: underflow */
#define EXC_ARM_FP_IX 5       /* EXC_ARITHMETIC: inexact */
#define EXC_ARM_FP_ID 6       /* EXC_ARITHMETIC: input denormal */
#define EXC_ARM_DA_ALIGN 0x101 /* EXC_BAD_ACCESS: misaligned access */
#define EXC_ARM_DA_DEBUG 0x102
#define EXC_ARM_SP_ALIGN 0x103
#define EXC_ARM_SWP 0x104
#define EXC_ARM_PAC_FAIL 0x105
#define EXC_ARM_BREAKPOINT 1  /* EXC_BREAKPOINT: brk */

#endif /* OPENMIG_MACH_MACHINE_EXCEPTION_H */
