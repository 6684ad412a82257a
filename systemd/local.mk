# systemd/: unit files, sysusers.d and tmpfiles.d.
systemdsystemunit_DATA = systemd/consentd.service systemd/consentd.socket
dist_noinst_DATA += systemd/consentd.service.in
EXTRA_DIST += systemd/consentd.socket systemd/consentd.sysusers \
	systemd/consentd.tmpfiles
CLEANFILES += systemd/consentd.service

systemd/consentd.service: $(srcdir)/systemd/consentd.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) systemd && \
	sed -e 's|@sbindir[@]|$(sbindir)|g' $(srcdir)/systemd/consentd.service.in > $@.tmp && \
	mv $@.tmp $@

install-data-local: install-systemd-extra
install-systemd-extra:
	$(MKDIR_P) $(DESTDIR)$(sysusersdir) $(DESTDIR)$(tmpfilesdir)
	$(INSTALL_DATA) $(srcdir)/systemd/consentd.sysusers $(DESTDIR)$(sysusersdir)/consentd.conf
	$(INSTALL_DATA) $(srcdir)/systemd/consentd.tmpfiles $(DESTDIR)$(tmpfilesdir)/consentd.conf
uninstall-local: uninstall-systemd-extra
uninstall-systemd-extra:
	rm -f $(DESTDIR)$(sysusersdir)/consentd.conf $(DESTDIR)$(tmpfilesdir)/consentd.conf
.PHONY: install-systemd-extra uninstall-systemd-extra
