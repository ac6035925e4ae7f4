/* <Availability.h> for a platform that is not Apple's.
 *
 * Darwin headers and code mark declarations with availability macros (__API_AVAILABLE,
 * __OSX_AVAILABLE_STARTING, ...) and compare deployment targets with the version constants
 * (__MAC_10_15, __IPHONE_13_0, ...). Here:
 *   - every marking macro expands to nothing, so marked declarations compile as plain ones;
 *   - the version constants have Darwin's values, so comparisons between them still work;
 *   - the deployment-target macros (__MAC_OS_X_VERSION_MIN_REQUIRED,
 *     __IPHONE_OS_VERSION_MIN_REQUIRED, ...) are NOT defined: no Apple OS is targeted. Code that
 *     asks `#if defined(__MAC_OS_X_VERSION_MIN_REQUIRED)` takes its non-Apple branch; code that
 *     compares without that test sees 0, the "oldest" target, as with any undefined macro.
 * <TargetConditionals.h> says which platform this is (none of Apple's). */
#ifndef OPENMIG_AVAILABILITY_H
#define OPENMIG_AVAILABILITY_H

/* macOS versions: 10.x.y is 10x0y (two digits for y from 10.10 on); 11 and later are MMmm00. */
#define __MAC_10_0 1000
#define __MAC_10_1 1010
#define __MAC_10_2 1020
#define __MAC_10_3 1030
#define __MAC_10_4 1040
#define __MAC_10_5 1050
#define __MAC_10_6 1060
#define __MAC_10_7 1070
#define __MAC_10_8 1080
#define __MAC_10_9 1090
#define __MAC_10_10 101000
#define __MAC_10_11 101100
#define __MAC_10_12 101200
#define __MAC_10_13 101300
#define __MAC_10_14 101400
#define __MAC_10_15 101500
#define __MAC_10_16 101600
#define __MAC_11_0 110000
#define __MAC_12_0 120000
#define __MAC_13_0 130000
#define __MAC_14_0 140000
#define __MAC_15_0 150000
#define __MAC_NA 9999

/* iOS versions: MMmm00 (MMmmpp with a patch level). */
#define __IPHONE_2_0 20000
#define __IPHONE_3_0 30000
#define __IPHONE_4_0 40000
#define __IPHONE_5_0 50000
#define __IPHONE_6_0 60000
#define __IPHONE_7_0 70000
#define __IPHONE_8_0 80000
#define __IPHONE_9_0 90000
#define __IPHONE_10_0 100000
#define __IPHONE_11_0 110000
#define __IPHONE_12_0 120000
#define __IPHONE_13_0 130000
#define __IPHONE_14_0 140000
#define __IPHONE_15_0 150000
#define __IPHONE_16_0 160000
#define __IPHONE_17_0 170000
#define __IPHONE_18_0 180000
#define __IPHONE_NA 99999

/* tvOS, watchOS and bridgeOS versions, same scheme. */
#define __TVOS_9_0 90000
#define __TVOS_13_0 130000
#define __TVOS_NA 99999
#define __WATCHOS_1_0 10000
#define __WATCHOS_6_0 60000
#define __WATCHOS_NA 99999

/* Marking macros: nothing to mark on a non-Apple platform. The variadic ones take any
 * argument list, as Darwin's do (platform names with version tuples). */
#define __OSX_AVAILABLE(v)
#define __IOS_AVAILABLE(v)
#define __TVOS_AVAILABLE(v)
#define __WATCHOS_AVAILABLE(v)
#define __BRIDGEOS_AVAILABLE(v)
#define __OSX_UNAVAILABLE
#define __IOS_UNAVAILABLE
#define __TVOS_UNAVAILABLE
#define __WATCHOS_UNAVAILABLE
#define __BRIDGEOS_UNAVAILABLE
#define __OSX_PROHIBITED
#define __IOS_PROHIBITED
#define __TVOS_PROHIBITED
#define __WATCHOS_PROHIBITED
#define __OSX_DEPRECATED(start, dep, msg)
#define __IOS_DEPRECATED(start, dep, msg)
#define __TVOS_DEPRECATED(start, dep, msg)
#define __WATCHOS_DEPRECATED(start, dep, msg)
#define __OSX_AVAILABLE_STARTING(mac, ios)
#define __OSX_AVAILABLE_BUT_DEPRECATED(mac_start, mac_dep, ios_start, ios_dep)
#define __OSX_AVAILABLE_BUT_DEPRECATED_MSG(mac_start, mac_dep, ios_start, ios_dep, msg)
#define __OSX_EXTENSION_UNAVAILABLE(msg)
#define __IOS_EXTENSION_UNAVAILABLE(msg)
#define __OS_EXTENSION_UNAVAILABLE(msg)
#define __API_AVAILABLE(...)
#define __API_AVAILABLE_BEGIN(...)
#define __API_AVAILABLE_END
#define __API_DEPRECATED(...)
#define __API_DEPRECATED_WITH_REPLACEMENT(...)
#define __API_DEPRECATED_BEGIN(...)
#define __API_DEPRECATED_END
#define __API_DEPRECATED_WITH_REPLACEMENT_BEGIN(...)
#define __API_DEPRECATED_WITH_REPLACEMENT_END
#define __API_OBSOLETED(...)
#define __API_UNAVAILABLE(...)
#define __API_UNAVAILABLE_BEGIN(...)
#define __API_UNAVAILABLE_END
#define __SPI_AVAILABLE(...)
#define __SPI_DEPRECATED(...)
#define __SPI_DEPRECATED_WITH_REPLACEMENT(...)
#define __SPI_UNAVAILABLE(...)
#define API_AVAILABLE(...)
#define API_DEPRECATED(...)
#define API_DEPRECATED_WITH_REPLACEMENT(...)
#define API_UNAVAILABLE(...)
#define API_OBSOLETED(...)
#define SPI_AVAILABLE(...)

#endif /* OPENMIG_AVAILABILITY_H */
