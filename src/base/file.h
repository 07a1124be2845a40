/*
 * file.h - reading whole files.
 */
#ifndef WF_FILE_H
#define WF_FILE_H

#include "base/error.h"

/* Read all of path into a fresh buffer (NUL-terminated, the NUL not counted
 * in *len). The caller frees *data. Fails with WF_ERR_IO naming the path. */
wf_error *wf_file_read(const char *path, uint8_t **data, size_t *len);

#endif
