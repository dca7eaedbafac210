<?xml version="1.0" encoding="UTF-8"?>
<!--
  feedpubd's built-in look: one stylesheet for the three kinds of page
  (release, index, listing). It reads the view documented in
  docs/pages.md and writes HTML5. Copy it to start a newsroom's own
  ([pages] stylesheet = my.xsl), or xsl:import it and override a template.
  The view's HTML bodies (content, facts, about) are the only text written
  with disable-output-escaping: every other string is escaped.
  fp:memo is xsl:apply-templates whose output feedpubd makes once per
  node and then copies: the parts every page shares (the feeds' and
  sub-feeds' links, the header, the footer). Its templates depend on the
  node alone (and on what "with" selects); elsewhere its xsl:fallback
  runs the same templates (docs/pages.md).
-->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:fp="urn:x-feedpubd:xslt" extension-element-prefixes="fp">
<xsl:output method="html" encoding="UTF-8" indent="no"/>

<xsl:variable name="labels" select="/page/labels"/>
<xsl:variable name="site" select="/page/site"/>


<xsl:template match="/">
  <xsl:text disable-output-escaping="yes">&lt;!DOCTYPE html&gt;&#10;</xsl:text>
  <xsl:apply-templates select="page"/>
</xsl:template>

<xsl:template match="page">
  <xsl:variable name="subject" select="release | $site[not(current()/release)]"/>
  <html>
    <!-- The language and direction of the page's subject, as they are. -->
    <xsl:copy-of select="$subject/@lang | $subject/@dir"/>
    <head>
      <!-- libxml2's HTML output starts the head with the charset meta. -->
      <meta name="viewport" content="width=device-width, initial-scale=1"/>
      <xsl:apply-templates select="." mode="head"/>
      <!-- A release page: the feeds of its tags, type and language too. -->
      <fp:memo select="$site | release/subfeed" mode="alternate"
          with="@generator">
        <xsl:fallback>
          <xsl:apply-templates select="$site | release/subfeed"
              mode="alternate"/>
        </xsl:fallback>
      </fp:memo>
    </head>
    <body>
      <fp:memo select="$site" mode="header">
        <xsl:fallback>
          <xsl:apply-templates select="$site" mode="header"/>
        </xsl:fallback>
      </fp:memo>
      <main>
        <xsl:apply-templates select="release | listing"/>
      </main>
      <fp:memo select="$site" mode="footer" with="$labels">
        <xsl:fallback>
          <xsl:apply-templates select="$site" mode="footer"/>
        </xsl:fallback>
      </fp:memo>
    </body>
  </html>
</xsl:template>

<!-- The head's links: the style, the site's feeds, a sub-feed's feeds. -->
<xsl:template match="site" mode="alternate">
  <meta name="generator" content="{/page/@generator}"/>
  <link rel="stylesheet" href="{css/@href}"/>
  <xsl:apply-templates select="feed" mode="alternate"/>
</xsl:template>

<xsl:template match="subfeed" mode="alternate">
  <xsl:apply-templates select="feed" mode="alternate"/>
</xsl:template>

<xsl:template match="feed" mode="alternate">
  <link rel="alternate" type="{@type}" href="{@href}"
      title="{../title} ({.})"/>
</xsl:template>

<xsl:template match="site" mode="header">
  <header class="site">
    <a class="home" href="{home/@href}"><xsl:value-of select="title"/></a>
    <xsl:if test="subtitle">
      <span class="subtitle"><xsl:value-of select="subtitle"/></span>
    </xsl:if>
  </header>
</xsl:template>

<xsl:template match="site" mode="footer">
  <footer class="site">
    <nav>
      <a href="{home/@href}"><xsl:value-of select="$labels/@home"/></a>
      <xsl:if test="archive">
        <xsl:text> · </xsl:text>
        <a href="{archive/@href}"><xsl:value-of select="$labels/@archive"/></a>
      </xsl:if>
      <xsl:for-each select="feed">
        <xsl:text> · </xsl:text>
        <a href="{@href}" type="{@type}"><xsl:value-of select="."/></a>
      </xsl:for-each>
    </nav>
  </footer>
</xsl:template>

<!-- Metadata of a release's page. -->
<xsl:template match="page[release]" mode="head">
  <!-- The release as the context: no variable to look up each time. -->
  <xsl:for-each select="release">
    <title><xsl:value-of select="title"/> – <xsl:value-of select="$site/title"/></title>
    <link rel="canonical" href="{url}"/>
    <xsl:if test="summary">
      <meta name="description" content="{summary}"/>
    </xsl:if>
    <meta property="og:type" content="article"/>
    <meta property="og:title" content="{title}"/>
    <meta property="og:url" content="{url}"/>
    <meta property="og:site_name" content="{$site/title}"/>
    <xsl:if test="summary">
      <meta property="og:description" content="{summary}"/>
    </xsl:if>
    <xsl:if test="image">
      <meta property="og:image" content="{image/@url}"/>
    </xsl:if>
    <xsl:if test="contains(@lang, '-')">
      <meta property="og:locale" content="{translate(@lang, '-', '_')}"/>
    </xsl:if>
    <meta property="article:published_time" content="{published/@datetime}"/>
    <meta property="article:modified_time" content="{(updated | published)[last()]/@datetime}"/>
    <xsl:for-each select="tag">
      <meta property="article:tag" content="{.}"/>
    </xsl:for-each>
    <meta name="twitter:card" content="summary"/>
    <meta name="twitter:title" content="{title}"/>
    <xsl:if test="summary">
      <meta name="twitter:description" content="{summary}"/>
    </xsl:if>
    <script type="application/ld+json"><xsl:value-of select="jsonld"/></script>
  </xsl:for-each>
</xsl:template>

<!-- Metadata of the index and the listing pages. -->
<xsl:template match="page" mode="head">
  <xsl:variable name="l" select="listing"/>
  <title>
    <xsl:value-of select="$site/title"/>
    <xsl:if test="@kind = 'listing'">
      <xsl:text> – </xsl:text>
      <xsl:value-of select="$labels/@archive"/>
      <xsl:text> </xsl:text>
      <xsl:value-of select="$l/@number"/>
    </xsl:if>
  </title>
  <link rel="canonical" href="{$l/url}"/>
  <xsl:if test="$site/subtitle">
    <meta name="description" content="{$site/subtitle}"/>
    <meta property="og:description" content="{$site/subtitle}"/>
    <meta name="twitter:description" content="{$site/subtitle}"/>
  </xsl:if>
  <meta property="og:type" content="website"/>
  <meta property="og:title" content="{$site/title}"/>
  <meta property="og:url" content="{$l/url}"/>
  <meta property="og:site_name" content="{$site/title}"/>
  <meta name="twitter:card" content="summary"/>
  <meta name="twitter:title" content="{$site/title}"/>
  <script type="application/ld+json"><xsl:value-of select="$l/jsonld"/></script>
</xsl:template>

<!-- "Pressmeddelande • 10 december 2019 08:54 CET", of a release or an
     item (a mode, not a named template: no parameters to bind). -->
<xsl:template match="release | item" mode="dateline">
  <p class="dateline">
    <xsl:if test="type">
      <span class="type"><xsl:value-of select="type"/></span>
      <xsl:text> • </xsl:text>
    </xsl:if>
    <time datetime="{published/@datetime}"><xsl:value-of select="published"/></time>
    <xsl:if test="updated">
      <xsl:text> (</xsl:text>
      <xsl:value-of select="$labels/@updated"/>
      <xsl:text> </xsl:text>
      <time datetime="{updated/@datetime}"><xsl:value-of select="updated"/></time>
      <xsl:text>)</xsl:text>
    </xsl:if>
  </p>
</xsl:template>

<xsl:template match="release">
  <article class="release">
    <h1><xsl:value-of select="title"/></h1>
    <xsl:apply-templates select="." mode="dateline"/>
    <xsl:apply-templates select="image"/>
    <div class="content">
      <xsl:value-of select="content" disable-output-escaping="yes"/>
    </div>
    <xsl:if test="attachment">
      <ul class="attachments">
        <xsl:apply-templates select="attachment"/>
      </ul>
    </xsl:if>
    <xsl:if test="facts">
      <aside class="facts">
        <h2><xsl:value-of select="$labels/@facts"/></h2>
        <xsl:value-of select="facts" disable-output-escaping="yes"/>
      </aside>
    </xsl:if>
    <xsl:if test="contact">
      <section class="contacts">
        <h2><xsl:value-of select="$labels/@contacts"/></h2>
        <ul>
          <xsl:apply-templates select="contact"/>
        </ul>
      </section>
    </xsl:if>
    <xsl:if test="tag">
      <ul class="tags">
        <xsl:for-each select="tag">
          <!-- The tag's own feed (Atom), when there are tag feeds. -->
          <xsl:variable name="f" select="../subfeed[@axis = 'tag' and @value = current()]/feed[1]"/>
          <li>
            <xsl:choose>
              <xsl:when test="$f">
                <a href="{$f/@href}" type="{$f/@type}"><xsl:value-of select="."/></a>
              </xsl:when>
              <xsl:otherwise><xsl:value-of select="."/></xsl:otherwise>
            </xsl:choose>
          </li>
        </xsl:for-each>
      </ul>
    </xsl:if>
    <xsl:if test="subfeed">
      <section class="subfeeds">
        <h2><xsl:value-of select="$labels/@subscribe"/></h2>
        <ul>
          <fp:memo select="subfeed">
            <xsl:fallback><xsl:apply-templates select="subfeed"/></xsl:fallback>
          </fp:memo>
        </ul>
      </section>
    </xsl:if>
    <xsl:if test="about">
      <section class="about">
        <h2><xsl:value-of select="about/@heading"/></h2>
        <xsl:value-of select="about" disable-output-escaping="yes"/>
      </section>
    </xsl:if>
  </article>
</xsl:template>

<xsl:template match="image">
  <figure class="image">
    <img src="{@href}" alt="{caption}"/>
    <xsl:if test="caption or credit">
      <figcaption>
        <xsl:value-of select="caption"/>
        <xsl:if test="caption and credit"><xsl:text> </xsl:text></xsl:if>
        <xsl:if test="credit"><span class="credit"><xsl:value-of select="credit"/></span></xsl:if>
      </figcaption>
    </xsl:if>
  </figure>
</xsl:template>

<xsl:template match="attachment">
  <li class="attachment">
    <a href="{@href}" type="{@type}">
      <xsl:value-of select="(title | caption)[1]"/>
      <xsl:if test="not(title | caption)">
        <xsl:value-of select="@href"/>
      </xsl:if>
    </a>
    <xsl:if test="credit"><xsl:text> </xsl:text><span class="credit"><xsl:value-of select="credit"/></span></xsl:if>
  </li>
</xsl:template>

<xsl:template match="contact">
  <li class="contact">
    <xsl:if test="name"><strong class="name"><xsl:value-of select="name"/></strong></xsl:if>
    <xsl:if test="role"><span class="role"><xsl:value-of select="role"/></span></xsl:if>
    <xsl:if test="organisation"><span class="organisation"><xsl:value-of select="organisation"/></span></xsl:if>
    <xsl:if test="phone">
      <span class="phone">
        <xsl:value-of select="$labels/@phone"/>
        <xsl:text> </xsl:text>
        <a href="tel:{phone/@tel}"><xsl:value-of select="phone"/></a>
      </span>
    </xsl:if>
    <xsl:if test="email">
      <span class="email"><a href="mailto:{email}"><xsl:value-of select="email"/></a></span>
    </xsl:if>
  </li>
</xsl:template>

<xsl:template match="listing">
  <section class="listing">
    <h1>
      <xsl:choose>
        <xsl:when test="/page/@kind = 'index'">
          <xsl:value-of select="$labels/@latest"/>
        </xsl:when>
        <xsl:otherwise>
          <xsl:value-of select="$labels/@archive"/>
          <xsl:text> – </xsl:text>
          <xsl:value-of select="$labels/@page"/>
          <xsl:text> </xsl:text>
          <xsl:value-of select="@number"/>
        </xsl:otherwise>
      </xsl:choose>
    </h1>
    <xsl:apply-templates select="item"/>
    <nav class="pager">
      <xsl:if test="newer">
        <a rel="next" href="{newer/@href}"><xsl:value-of select="$labels/@newer"/></a>
      </xsl:if>
      <xsl:if test="older">
        <a rel="prev" href="{older/@href}"><xsl:value-of select="$labels/@older"/></a>
      </xsl:if>
      <xsl:if test="/page/@kind = 'index'">
        <a href="{$site/archive/@href}"><xsl:value-of select="$labels/@archive"/></a>
      </xsl:if>
    </nav>
    <xsl:if test="/page/@kind = 'index'">
      <p class="subscribe">
        <xsl:value-of select="$labels/@subscribe"/>
        <xsl:text>:</xsl:text>
        <xsl:for-each select="$site/feed">
          <xsl:text> </xsl:text>
          <a href="{@href}" type="{@type}"><xsl:value-of select="."/></a>
        </xsl:for-each>
      </p>
      <xsl:apply-templates select="/page/subfeeds"/>
    </xsl:if>
  </section>
</xsl:template>

<!-- The index: every sub-feed, by axis (tags, types, languages). -->
<xsl:template match="subfeeds">
  <section class="subfeeds">
    <xsl:for-each select="subfeed[not(@axis = preceding-sibling::subfeed[1]/@axis)]">
      <xsl:variable name="axis" select="@axis"/>
      <h2><xsl:value-of select="$labels/@*[name() = concat($axis, 's')]"/></h2>
      <ul>
        <xsl:apply-templates select="../subfeed[@axis = $axis]"/>
      </ul>
    </xsl:for-each>
  </section>
</xsl:template>

<!-- "Trygghet: Atom RSS JSON Feed" -->
<xsl:template match="subfeed">
  <li class="subfeed">
    <xsl:value-of select="@value"/>
    <xsl:text>:</xsl:text>
    <xsl:for-each select="feed">
      <xsl:text> </xsl:text>
      <a href="{@href}" type="{@type}"><xsl:value-of select="."/></a>
    </xsl:for-each>
  </li>
</xsl:template>

<xsl:template match="item">
  <article class="item">
    <xsl:copy-of select="@lang | @dir"/>
    <h2><a href="{page/@href}"><xsl:value-of select="title"/></a></h2>
    <xsl:apply-templates select="." mode="dateline"/>
    <xsl:if test="summary"><p class="summary"><xsl:value-of select="summary"/></p></xsl:if>
  </article>
</xsl:template>

</xsl:stylesheet>
