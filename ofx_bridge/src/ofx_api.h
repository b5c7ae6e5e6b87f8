/* The parts of the OpenFX 1.4 C API that vhdr uses, declared by this project from the public
 * specification (openeffects.org, "OpenFX Programming Reference"). Only what the plugin and its
 * test host need: the plugin/host structs, status codes, the property, image-effect, parameter
 * and message suites, and the action / property / value strings used. Suite layouts follow the
 * specification's member order exactly, since hosts hand out those structs. */
#ifndef VHDR_OFX_API_H
#define VHDR_OFX_API_H

#include <stddef.h>

typedef int OfxStatus;
typedef double OfxTime;

typedef struct OfxPropertySetStruct *OfxPropertySetHandle;
typedef struct OfxImageEffectStruct *OfxImageEffectHandle;
typedef struct OfxImageClipStruct *OfxImageClipHandle;
typedef struct OfxParamSetStruct *OfxParamSetHandle;
typedef struct OfxParamStruct *OfxParamHandle;
typedef struct OfxImageMemoryStruct *OfxImageMemoryHandle;

typedef struct { double x1, y1, x2, y2; } OfxRectD;
typedef struct { int x1, y1, x2, y2; } OfxRectI;
typedef struct { double min, max; } OfxRangeD;

/* Status codes (ofxCore). */
enum {
    kOfxStatOK = 0,
    kOfxStatFailed = 1,
    kOfxStatErrFatal = 2,
    kOfxStatErrUnknown = 3,
    kOfxStatErrMissingHostFeature = 4,
    kOfxStatErrUnsupported = 5,
    kOfxStatErrExists = 6,
    kOfxStatErrFormat = 7,
    kOfxStatErrMemory = 8,
    kOfxStatErrBadHandle = 9,
    kOfxStatErrBadIndex = 10,
    kOfxStatErrValue = 11,
    kOfxStatReplyYes = 12,
    kOfxStatReplyNo = 13,
    kOfxStatReplyDefault = 14,
    kOfxStatErrImageFormat = 1000
};

/* The host handed to OfxPlugin.setHost. */
typedef struct OfxHost {
    OfxPropertySetHandle host;
    const void *(*fetchSuite)(OfxPropertySetHandle host, const char *suiteName, int suiteVersion);
} OfxHost;

typedef OfxStatus(OfxPluginEntryPoint)(const char *action, const void *handle,
                                       OfxPropertySetHandle inArgs, OfxPropertySetHandle outArgs);

/* What OfxGetPlugin returns. */
typedef struct OfxPlugin {
    const char *pluginApi;
    int apiVersion;
    const char *pluginIdentifier;
    unsigned int pluginVersionMajor;
    unsigned int pluginVersionMinor;
    void (*setHost)(OfxHost *host);
    OfxPluginEntryPoint *mainEntry;
} OfxPlugin;

/* Property suite, version 1. */
typedef struct OfxPropertySuiteV1 {
    OfxStatus (*propSetPointer)(OfxPropertySetHandle, const char *, int, void *);
    OfxStatus (*propSetString)(OfxPropertySetHandle, const char *, int, const char *);
    OfxStatus (*propSetDouble)(OfxPropertySetHandle, const char *, int, double);
    OfxStatus (*propSetInt)(OfxPropertySetHandle, const char *, int, int);
    OfxStatus (*propSetPointerN)(OfxPropertySetHandle, const char *, int, void *const *);
    OfxStatus (*propSetStringN)(OfxPropertySetHandle, const char *, int, const char *const *);
    OfxStatus (*propSetDoubleN)(OfxPropertySetHandle, const char *, int, const double *);
    OfxStatus (*propSetIntN)(OfxPropertySetHandle, const char *, int, const int *);
    OfxStatus (*propGetPointer)(OfxPropertySetHandle, const char *, int, void **);
    OfxStatus (*propGetString)(OfxPropertySetHandle, const char *, int, char **);
    OfxStatus (*propGetDouble)(OfxPropertySetHandle, const char *, int, double *);
    OfxStatus (*propGetInt)(OfxPropertySetHandle, const char *, int, int *);
    OfxStatus (*propGetPointerN)(OfxPropertySetHandle, const char *, int, void **);
    OfxStatus (*propGetStringN)(OfxPropertySetHandle, const char *, int, char **);
    OfxStatus (*propGetDoubleN)(OfxPropertySetHandle, const char *, int, double *);
    OfxStatus (*propGetIntN)(OfxPropertySetHandle, const char *, int, int *);
    OfxStatus (*propReset)(OfxPropertySetHandle, const char *);
    OfxStatus (*propGetDimension)(OfxPropertySetHandle, const char *, int *);
} OfxPropertySuiteV1;

/* Image effect suite, version 1. */
typedef struct OfxImageEffectSuiteV1 {
    OfxStatus (*getPropertySet)(OfxImageEffectHandle, OfxPropertySetHandle *);
    OfxStatus (*getParamSet)(OfxImageEffectHandle, OfxParamSetHandle *);
    OfxStatus (*clipDefine)(OfxImageEffectHandle, const char *, OfxPropertySetHandle *);
    OfxStatus (*clipGetHandle)(OfxImageEffectHandle, const char *, OfxImageClipHandle *,
                               OfxPropertySetHandle *);
    OfxStatus (*clipGetPropertySet)(OfxImageClipHandle, OfxPropertySetHandle *);
    OfxStatus (*clipGetImage)(OfxImageClipHandle, OfxTime, const OfxRectD *,
                              OfxPropertySetHandle *);
    OfxStatus (*clipReleaseImage)(OfxPropertySetHandle);
    OfxStatus (*clipGetRegionOfDefinition)(OfxImageClipHandle, OfxTime, OfxRectD *);
    int (*abort)(OfxImageEffectHandle);
    OfxStatus (*imageMemoryAlloc)(OfxImageEffectHandle, size_t, OfxImageMemoryHandle *);
    OfxStatus (*imageMemoryFree)(OfxImageMemoryHandle);
    OfxStatus (*imageMemoryLock)(OfxImageMemoryHandle, void **);
    OfxStatus (*imageMemoryUnlock)(OfxImageMemoryHandle);
} OfxImageEffectSuiteV1;

/* Parameter suite, version 1 (values travel through C varargs: int, double, char*, ...). */
typedef struct OfxParameterSuiteV1 {
    OfxStatus (*paramDefine)(OfxParamSetHandle, const char *, const char *,
                             OfxPropertySetHandle *);
    OfxStatus (*paramGetHandle)(OfxParamSetHandle, const char *, OfxParamHandle *,
                                OfxPropertySetHandle *);
    OfxStatus (*paramSetGetPropertySet)(OfxParamSetHandle, OfxPropertySetHandle *);
    OfxStatus (*paramGetPropertySet)(OfxParamHandle, OfxPropertySetHandle *);
    OfxStatus (*paramGetValue)(OfxParamHandle, ...);
    OfxStatus (*paramGetValueAtTime)(OfxParamHandle, OfxTime, ...);
    OfxStatus (*paramGetDerivative)(OfxParamHandle, OfxTime, ...);
    OfxStatus (*paramGetIntegral)(OfxParamHandle, OfxTime, OfxTime, ...);
    OfxStatus (*paramSetValue)(OfxParamHandle, ...);
    OfxStatus (*paramSetValueAtTime)(OfxParamHandle, OfxTime, ...);
    OfxStatus (*paramGetNumKeys)(OfxParamHandle, unsigned int *);
    OfxStatus (*paramGetKeyTime)(OfxParamHandle, unsigned int, OfxTime *);
    OfxStatus (*paramGetKeyIndex)(OfxParamHandle, OfxTime, int, int *);
    OfxStatus (*paramDeleteKey)(OfxParamHandle, OfxTime);
    OfxStatus (*paramDeleteAllKeys)(OfxParamHandle);
    OfxStatus (*paramCopy)(OfxParamHandle, OfxParamHandle, OfxTime, const OfxRangeD *);
    OfxStatus (*paramEditBegin)(OfxParamSetHandle, const char *);
    OfxStatus (*paramEditEnd)(OfxParamSetHandle);
} OfxParameterSuiteV1;

/* Message suite, version 2 (its first member is the whole of version 1). */
typedef struct OfxMessageSuiteV2 {
    OfxStatus (*message)(void *, const char *, const char *, const char *, ...);
    OfxStatus (*setPersistentMessage)(void *, const char *, const char *, const char *, ...);
    OfxStatus (*clearPersistentMessage)(void *);
} OfxMessageSuiteV2;

/* Suite names. */
#define kOfxPropertySuite "OfxPropertySuite"
#define kOfxImageEffectSuite "OfxImageEffectSuite"
#define kOfxParameterSuite "OfxParameterSuite"
#define kOfxMessageSuite "OfxMessageSuite"

/* Plugin API. */
#define kOfxImageEffectPluginApi "OfxImageEffectPluginAPI"
#define kOfxImageEffectPluginApiVersion 1

/* Actions. */
#define kOfxActionLoad "OfxActionLoad"
#define kOfxActionUnload "OfxActionUnload"
#define kOfxActionDescribe "OfxActionDescribe"
#define kOfxActionCreateInstance "OfxActionCreateInstance"
#define kOfxActionDestroyInstance "OfxActionDestroyInstance"
#define kOfxImageEffectActionDescribeInContext "OfxImageEffectActionDescribeInContext"
#define kOfxImageEffectActionGetFramesNeeded "OfxImageEffectActionGetFramesNeeded"
#define kOfxImageEffectActionGetRegionsOfInterest "OfxImageEffectActionGetRegionsOfInterest"
#define kOfxImageEffectActionRender "OfxImageEffectActionRender"

/* Properties. */
#define kOfxPropLabel "OfxPropLabel"
#define kOfxPropTime "OfxPropTime"
#define kOfxPropInstanceData "OfxPropInstanceData"
#define kOfxPropPluginDescription "OfxPropPluginDescription"
#define kOfxImageEffectPluginPropGrouping "OfxImageEffectPluginPropGrouping"
#define kOfxImageEffectPropSupportedContexts "OfxImageEffectPropSupportedContexts"
#define kOfxImageEffectPropSupportedPixelDepths "OfxImageEffectPropSupportedPixelDepths"
#define kOfxImageEffectPropSupportedComponents "OfxImageEffectPropSupportedComponents"
#define kOfxImageEffectPropTemporalClipAccess "OfxImageEffectPropTemporalClipAccess"
#define kOfxImageEffectPropSupportsTiles "OfxImageEffectPropSupportsTiles"
#define kOfxImageEffectPropSupportsMultiResolution "OfxImageEffectPropSupportsMultiResolution"
#define kOfxImageEffectPluginPropSingleInstance "OfxImageEffectPluginPropSingleInstance"
#define kOfxImageEffectPluginPropHostFrameThreading "OfxImageEffectPluginPropHostFrameThreading"
#define kOfxImageEffectPluginRenderThreadSafety "OfxImageEffectPluginRenderThreadSafety"
#define kOfxImageEffectPropContext "OfxImageEffectPropContext"
#define kOfxImageEffectPropFrameRange "OfxImageEffectPropFrameRange"
#define kOfxImageEffectPropRenderScale "OfxImageEffectPropRenderScale"
#define kOfxImageEffectPropRenderWindow "OfxImageEffectPropRenderWindow"
#define kOfxImageEffectPropRegionOfInterest "OfxImageEffectPropRegionOfInterest"
#define kOfxImageEffectPropPixelDepth "OfxImageEffectPropPixelDepth"
#define kOfxImageEffectPropComponents "OfxImageEffectPropComponents"
#define kOfxImageClipPropConnected "OfxImageClipPropConnected"
#define kOfxImagePropData "OfxImagePropData"
#define kOfxImagePropBounds "OfxImagePropBounds"
#define kOfxImagePropRowBytes "OfxImagePropRowBytes"
#define kOfxParamPropDefault "OfxParamPropDefault"
#define kOfxParamPropMin "OfxParamPropMin"
#define kOfxParamPropMax "OfxParamPropMax"
#define kOfxParamPropDisplayMin "OfxParamPropDisplayMin"
#define kOfxParamPropDisplayMax "OfxParamPropDisplayMax"
#define kOfxParamPropHint "OfxParamPropHint"
#define kOfxParamPropAnimates "OfxParamPropAnimates"
#define kOfxParamPropStringMode "OfxParamPropStringMode"
#define kOfxParamPropChoiceOption "OfxParamPropChoiceOption"
/* Output-argument name prefixes, followed by the clip name. */
#define kOfxClipFrameRangePrefix "OfxImageClipPropFrameRange_"
#define kOfxClipRoIPrefix "OfxImageClipPropRoI_"

/* Values. */
#define kOfxImageEffectContextFilter "OfxImageEffectContextFilter"
#define kOfxImageEffectContextGeneral "OfxImageEffectContextGeneral"
#define kOfxImageEffectSimpleSourceClipName "Source"
#define kOfxImageEffectOutputClipName "Output"
#define kOfxBitDepthFloat "OfxBitDepthFloat"
#define kOfxImageComponentRGBA "OfxImageComponentRGBA"
#define kOfxImageEffectRenderInstanceSafe "OfxImageEffectRenderInstanceSafe"
#define kOfxParamTypeInteger "OfxParamTypeInteger"
#define kOfxParamTypeString "OfxParamTypeString"
#define kOfxParamTypeBoolean "OfxParamTypeBoolean"
#define kOfxParamTypeChoice "OfxParamTypeChoice"
#define kOfxParamStringIsSingleLine "OfxParamStringIsSingleLine"
#define kOfxParamStringIsFilePath "OfxParamStringIsFilePath"
#define kOfxMessageError "OfxMessageError"

#endif
