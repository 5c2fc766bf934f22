/* Fault-site accounting of the fault tests (sites.c): which sites this
 * backend's runs reached and failed, against the number of fault sites in
 * the OS's sources (RIOX_FAULT_SITES_TOTAL, counted by cmake/faults.cmake). */
#ifndef RIOX_FAULTS_SITES_H
#define RIOX_FAULTS_SITES_H

/* Remember how often each site had failed so far (a pass starts). */
void sites_begin(void);
/* Sites failed since sites_begin (at least once), sites seen at all, and
 * the line "sites covered N/M" for the backend. Returns N. */
unsigned sites_report(const char *backend);
/* "call file:line" of site k, for messages. */
const char *sites_name(unsigned k);

#endif
