/* assets.h — the pages and files under web/, compiled in by scripts/embed.sh.
 * Each array is NUL-terminated; its _len excludes the NUL. */
#ifndef LC_WEB_ASSETS_H
#define LC_WEB_ASSETS_H

#include <stddef.h>

extern const unsigned char web_landing_html[];
extern const size_t web_landing_html_len;
extern const unsigned char web_mobileconfig_xml[];
extern const size_t web_mobileconfig_xml_len;
extern const unsigned char web_ui_index_html[];
extern const size_t web_ui_index_html_len;
extern const unsigned char web_ui_app_css[];
extern const size_t web_ui_app_css_len;
extern const unsigned char web_ui_app_js[];
extern const size_t web_ui_app_js_len;
extern const unsigned char web_ui_view_html[];
extern const size_t web_ui_view_html_len;

#endif
